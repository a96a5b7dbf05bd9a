"""People and access: accounts and roles, logging in (with its limits and server-side
sessions), default-deny access control and CSRF, and the admins' pages."""
