"""Families' pages: the English content, how a page is rendered in a language, and the served
catalogs every worker reads."""
