"""receive: the SMTP side of the gate (aiosmtpd). The handler only converts SMTP into domain
values and the Outcome back into a reply; the server owns the SMTP grammar."""
