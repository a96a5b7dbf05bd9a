"""Translation units and their storage: the template and the catalogs, the checks, the
translator's workspace, and the Poedit round trip (``.po`` files in and out)."""
