"""Classification: embed posts, score them against the guidance, store assessments and flags."""
