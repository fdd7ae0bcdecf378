"""Pages of a program's activities, by what they do: sessions (weekly sessions, planning, one session), recurring
(edit, end, delete a weekly session), reports, calendar (and its feeds), missions, participants and dashboard;
common holds what they share. Thin: objects come through terreau.core.access, changes through the activities'
services (missions, sessions, planning, recurring, reports, participants), figures through
terreau.activities.dashboard. terreau/activities/urls.py routes to the modules."""
