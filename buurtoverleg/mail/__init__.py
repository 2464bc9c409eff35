"""The outgoing-mail platform: the ledger (Mailing, Delivery, blocked addresses), the one
pipeline every feature sends through, and the registry of kinds of mail.

It knows no app. An app registers its kinds of mail (with their template and whether a person
can turn them off) in its AppConfig.ready(), and the residents app registers the two things
the pipeline asks about people: who turned a kind off, and the link that turns it off
(kinds.register_preferences).
"""
