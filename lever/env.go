package lever

import (
	"fmt"
	"strings"
)

// Environment names the Lever host a key belongs to. A key made in one
// environment is rejected (401) by the other.
type Environment string

const (
	Production Environment = "production"
	Sandbox    Environment = "sandbox"
	// EU is seen only in third-party code; failures there are worded as
	// "unconfirmed host".
	EU Environment = "eu"
	// Custom is a --base-url override (a proxy, the fake Lever).
	Custom Environment = "custom"
	// Demo is the built-in fake Lever of --demo.
	Demo Environment = "demo"
)

// Environments lists the hosted environments a user can choose from.
var Environments = []Environment{Production, Sandbox, EU}

// BaseURL is the API root of a hosted environment, including /v1.
func (e Environment) BaseURL() string {
	switch e {
	case Production:
		return "https://api.lever.co/v1"
	case Sandbox:
		return "https://api.sandbox.lever.co/v1"
	case EU:
		return "https://api.eu.lever.co/v1"
	}
	return ""
}

// Title is the environment's name as the UI shows it.
func (e Environment) Title() string {
	switch e {
	case Production:
		return "Production"
	case Sandbox:
		return "Sandbox"
	case EU:
		return "EU (production, EU-hosted)"
	case Custom:
		return "Custom API root"
	case Demo:
		return "Demo (built-in fake Lever)"
	}
	return string(e)
}

// ParseEnvironment accepts production, sandbox or eu, in any case.
func ParseEnvironment(s string) (Environment, error) {
	switch e := Environment(strings.ToLower(strings.TrimSpace(s))); e {
	case Production, Sandbox, EU:
		return e, nil
	}
	return "", fmt.Errorf("unknown environment %q: use production, sandbox or eu", s)
}
