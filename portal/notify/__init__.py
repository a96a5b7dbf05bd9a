"""E-mail notifications: what each person chose to hear about (off, each event, a daily digest),
the outbox that keeps every message until an SMTP server took it, and the daily digest."""
