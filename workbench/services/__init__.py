"""Use cases with the signed-in user: permission checks happen here, once. The GUI and the CLI
both call these functions and never reach past them into the store's ORM; each write names its
actor and lands in the audit chain inside the same transaction."""
