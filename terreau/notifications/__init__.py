"""Every message Terreau sends: e-mails and in-app notifications (the bell), through one service
(terreau.notifications.services.notify), after the commit, through the job queue, as each person chose."""
