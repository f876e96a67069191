// Placeholder until the ModemClient issue lands.
