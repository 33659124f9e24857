# Cover slots, rounds and scores arrive with the jury issue.
