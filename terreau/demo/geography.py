"""Communes used by the demo with their approximate centre (latitude, longitude), written by hand.

The official geography package has no coordinates and the demo must work offline, so the demo carries
its own. Values are accurate to about 0.01 degree; codes are INSEE codes checked against the COG.
"""

from __future__ import annotations

# INSEE code: (name, latitude, longitude)
COMMUNES: dict[str, tuple[str, float, float]] = {
    # Vienne (86)
    "86194": ("Poitiers", 46.5802, 0.3404),
    "86066": ("Châtellerault", 46.8178, 0.5461),
    "86070": ("Chauvigny", 46.5683, 0.6464),
    "86137": ("Loudun", 47.0100, 0.0830),
    "86165": ("Montmorillon", 46.4264, 0.8707),
    "86041": ("Buxerolles", 46.6039, 0.3711),
    "86062": ("Chasseneuil-du-Poitou", 46.6511, 0.3728),
    "86078": ("Civray", 46.1483, 0.2953),
    "86139": ("Lusignan", 46.4358, 0.1208),
    "86128": ("Lencloître", 46.8167, 0.3283),
    "86214": ("Saint-Benoît", 46.5528, 0.3414),
    "86293": ("Vivonne", 46.4258, 0.2628),
    # Charente (16)
    "16015": ("Angoulême", 45.6484, 0.1562),
    "16102": ("Cognac", 45.6958, -0.3287),
    "16374": ("Soyaux", 45.6414, 0.1990),
    "16292": ("Ruffec", 46.0286, 0.1983),
    "16028": ("Barbezieux-Saint-Hilaire", 45.4728, -0.1536),
    "16106": ("Confolens", 46.0136, 0.6717),
    "16167": ("Jarnac", 45.6808, -0.1750),
    "16281": ("La Rochefoucauld-en-Angoumois", 45.7417, 0.3856),
    # Charente-Maritime (17)
    "17300": ("La Rochelle", 46.1591, -1.1520),
    "17299": ("Rochefort", 45.9421, -0.9588),
    "17415": ("Saintes", 45.7464, -0.6333),
    "17306": ("Royan", 45.6242, -1.0297),
    "17347": ("Saint-Jean-d'Angély", 45.9458, -0.5211),
    "17434": ("Surgères", 46.1081, -0.7517),
    "17197": ("Jonzac", 45.4461, -0.4339),
    "17028": ("Aytré", 46.1350, -1.1150),
    "17385": ("Saint-Pierre-d'Oléron", 45.9447, -1.3061),
    "17219": ("Marennes-Hiers-Brouage", 45.8225, -1.1058),
    # Deux-Sèvres (79)
    "79191": ("Niort", 46.3237, -0.4588),
    "79049": ("Bressuire", 46.8403, -0.4886),
    "79329": ("Thouars", 46.9758, -0.2153),
    "79202": ("Parthenay", 46.6486, -0.2475),
    "79270": ("Saint-Maixent-l'École", 46.4128, -0.2075),
    "79174": ("Melle", 46.2228, -0.1425),
    "79062": ("Cerizay", 46.8214, -0.6667),
    "79210": ("Le Pin", 46.8667, -0.6500),
    "79079": ("Mauléon", 46.9231, -0.7497),
    # Bas-Rhin (67)
    "67482": ("Strasbourg", 48.5734, 7.7521),
    "67180": ("Haguenau", 48.8156, 7.7906),
    "67462": ("Sélestat", 48.2594, 7.4542),
    "67437": ("Saverne", 48.7414, 7.3622),
    "67348": ("Obernai", 48.4622, 7.4817),
    "67447": ("Schiltigheim", 48.6075, 7.7497),
    "67218": ("Illkirch-Graffenstaden", 48.5297, 7.7150),
    # Haut-Rhin (68)
    "68224": ("Mulhouse", 47.7508, 7.3359),
    "68066": ("Colmar", 48.0794, 7.3585),
    "68297": ("Saint-Louis", 47.5900, 7.5600),
    "68112": ("Guebwiller", 47.9081, 7.2106),
    "68004": ("Altkirch", 47.6236, 7.2397),
    "68334": ("Thann", 47.8075, 7.1031),
}
