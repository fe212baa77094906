"""thutuc: a Vietnamese assistant for commune/ward Public Administrative Service Centres."""
