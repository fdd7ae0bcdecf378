"""Pages of programs, by what they do: programs (list, page, form), partners, team, documents, host sites
(with their inventory), equipment items and kits; common holds what they share. Thin: objects come through
terreau.core.access, changes go through the programs' services (terreau.programs.services, team, sites,
items, kits), posted forms through terreau.core.forms_flow. terreau/programs/urls.py routes to them."""
