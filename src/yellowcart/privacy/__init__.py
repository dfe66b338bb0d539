"""Privacy rights: a shopper downloads everything held about them, or asks for deletion."""
