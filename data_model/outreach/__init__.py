"""Follow-up outreach: the contact log of each due or overdue time point, what it makes of the patient
(booked, declined, lost after unanswered attempts), and the share seen and lost at each time point."""
