"""Pages of the events section, by what they do: events (list, page, form), registrations, check-in and
attendance, workshops (items and documents); common holds what they share. terreau/events/urls.py routes to them."""
