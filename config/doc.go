// Package config keeps what leversync remembers outside the data file: the
// saved API key (the OS keyring, else a 0600 credentials.json) and the
// wizard's settings.json (environment and API root), in the folder and
// keyring service it is given (package app gives one per profile). Neither
// ever holds candidates' data, and the data file never holds the key.
package config
