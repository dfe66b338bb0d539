"""Name vocabularies for people, streets and shops: common US names, made-up businesses."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words("""
James Mary Michael Patricia Robert Jennifer John Linda David Elizabeth William Barbara Richard Susan Joseph
Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret
Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian
Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy
Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole
Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick
Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose
Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah
Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline
Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice
Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber
Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly
Vincent Diana Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany
Priya Wei Mei Hiroshi Aiko Carlos Sofia Diego Camila Mateo Valentina Ahmed Fatima Omar Leila Minh Linh Kwame
Ama Ravi Ananya Jin Yuna Luis Ximena Andre Imani Malik Aaliyah DeShawn Jada Santiago Lucia Arjun Neha
""")

LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart
Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim
Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds
Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford
Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman
Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon
Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice
Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer
Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong
Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards
Wang Li Zhang Liu Singh Shah Kumar Park Choi Yamamoto Tanaka Okafor Mensah Haddad Nakamura Pham Le Huang
""")

STREETS = _words("""
Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Sunset Lincoln Jackson Church River Highland
Franklin Willow Meadow Spring Ridge Forest Chestnut Madison Jefferson Hickory Birch Magnolia Dogwood Laurel
Cherry Adams Center Valley Mill Prospect Broad Union Locust Sycamore Aspen Holly Juniper Poplar Orchard
""")
STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Pl", "Ter")
INDUSTRIAL_STREETS = ("Commerce", "Industrial", "Distribution", "Enterprise", "Logistics", "Gateway", "Trade Center")
INDUSTRIAL_SUFFIXES = ("Dr", "Way", "Pkwy", "Blvd", "Ct")

#: First half of a made-up shop name; the second half comes from the shop's department.
SHOP_PREFIXES = """
Golden Hour|Maple & Moss|Northpeak|Blue Heron|Sunday Morning|Wildflower|Copper Lane|Harbor Light|Juniper|
Lark & Lane|Fern & Fable|Tidewater|Cedar Hollow|Marigold|Silver Birch|Bright Side|Pacific Drift|Prairie Rose|
Hudson Row|Ember & Oak|Willow Creek|Atlas|Nimbus|Kestrel|Bluebird|Honeycomb|Driftwood|Everyday|Little Oak|
Riverstone|Peach Street|Paper Moon|Salt & Stone|Highline|Meadowlark|Good Fortune|True North|Sea Glass|
Ironwood|Velvet Fox|Saffron|Cloud Nine|Brightwater|Oak & Ivy|Westwind|Lemon Tree|Moonrise|Evergreen|
Pebble Beach|Wren|Amberly|Sparrow|Birchbox Lane|Canyon|Coastline|Magnolia Row|Twin Pines|Starling
""".replace("\n", "").split("|")

SHOP_SUFFIXES = {
    "beauty": ("Beauty", "Skin Co.", "Cosmetics", "Beauty Lab", "Apothecary"),
    "home": ("Home", "Kitchen", "Living", "Home Goods", "House"),
    "electronics": ("Tech", "Electronics", "Gadgets", "Audio", "Digital"),
    "fashion": ("Apparel", "Boutique", "Studio", "Clothing Co.", "Outfitters"),
    "sports": ("Athletics", "Fitness", "Outdoor Co.", "Gear", "Active"),
    "toys": ("Toys", "Play Co.", "Kids", "Toy Shop"),
    "pets": ("Pets", "Pet Co.", "Pet Supply", "Paws"),
    "health": ("Wellness", "Nutrition", "Health", "Vitamins"),
    "baby": ("Baby", "Little Ones", "Baby Co."),
    "grocery": ("Pantry", "Provisions", "Snack Co.", "Coffee Co."),
}

PAYMENT_METHODS = ("tok_visa", "tok_mastercard", "tok_amex", "tok_discover", "tok_visa_debit")
PAYMENT_METHOD_WEIGHTS = (44, 28, 12, 6, 10)
