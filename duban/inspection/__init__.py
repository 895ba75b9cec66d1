"""实地督查: inspection plans, visits on site, findings and their rectification (整改) as tracked tasks."""
