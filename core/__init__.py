"""Pure domain of kaohe: roster rules, authority, policy, scoring. No I/O, no clock."""
