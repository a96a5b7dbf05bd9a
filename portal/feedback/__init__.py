"""Families' "Was this page clear?" answers: how they are taken (guard, limits) and read by reviewers."""
