"""PSG meetings: agendas, attendance, decisions and minutes."""
