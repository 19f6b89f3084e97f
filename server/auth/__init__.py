"""Who is asking: passwords, API tokens, and what each role may do."""
