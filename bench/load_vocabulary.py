"""What the load test's users search and filter by (bench/load_users.py), also timed one page at a time by
bench/page_cpu.py: one list, so that both measure the same mix."""

WORDS = [
    "tablettes",
    "bénévoles",
    "personnes âgées",
    "mécénat de compétences",
    "salle de réunion",
    "numérique",
    "transport solidaire",
    "soutien scolaire",
    "épicerie solidaire",
    "jardin partagé",
    "minibus",
    "formation",
    "isolement",
    "accompagn",
    "EHPAD",
    "vidéoprojecteur",
    "comptable",
    "jeunes",
    "culture",
    "repair café",
]
KINDS = ["association", "company", "foundation", "public_body", "host_structure"]
THEMES = ["bien-vieillir", "inclusion-numerique", "jeunesse", "culture", "sport", "solidarite", "mobilite"]
TYPES = ["materiel", "benevolat", "competences", "locaux", "financement", "mobilite"]
