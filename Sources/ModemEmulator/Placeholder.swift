// Placeholder until the ModemEmulator issue lands.
