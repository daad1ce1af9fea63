"""The demo job: a seeded month for a fictional SaaS company, run through accord."""
