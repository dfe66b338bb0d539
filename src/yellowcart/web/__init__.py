"""Server-rendered pages (Jinja2 + a little HTMX) over the same services the API calls."""
