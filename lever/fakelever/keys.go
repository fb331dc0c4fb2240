package fakelever

import "github.com/leversync/leversync/lever/permission"

// API keys the fake accepts. Each is long and distinctive so tests can
// search output for it, and none is a substring of another.
const (
	KeyFull           = "fakeleverFullAccess7Qm2Xv9Bn4Tt6Rp1Sw8Yz3Cd5Hk"
	KeyReadOnly       = "fakeleverReadOnly3Jd8Lw1Pq6Vn2Ks9Gx4Bz7Mc5Fy"
	KeyNoConfidential = "fakeleverNoConfidential5Ra1Ue7Hp3Wk9Nb2Tj6Qs8"
	KeyMissingTwo     = "fakeleverMissingTwo9Gc4Vm6Xd1Lq8Zp3Rw5Ky7Jb2"
	KeySandbox        = "fakeleverSandboxOnly2Nf7Ht4Ca9Mw1Vs6Pe3Xj8Du5"
	KeyNoNotes        = "fakeleverNoNotes8Tb3Kx6Qd1Wm9Hs4Ve7Zc2Pn5Ly"
)

// KeyInfo describes one accepted key.
type KeyInfo struct {
	Key, Name, Description string
	// Sandbox keys are valid only on SandboxURL, the others only on URL.
	Sandbox bool
	// Confidential is the "Allow access to confidential data" toggle.
	Confidential bool
	// Missing lists the permission names not granted.
	Missing []string
}

func writeNames() []string {
	var out []string
	for _, p := range permission.Write {
		out = append(out, p.Name)
	}
	return out
}

// Keys lists the keys the fake accepts and what each may do.
func Keys() []KeyInfo {
	return []KeyInfo{
		{Key: KeyFull, Name: "full", Description: "every read and write permission, confidential access (the demo key)", Confidential: true},
		{Key: KeyReadOnly, Name: "read-only", Description: "every read permission, no write, confidential access", Confidential: true, Missing: writeNames()},
		{Key: KeyNoConfidential, Name: "no-confidential", Description: "every read and write permission, no confidential access"},
		{Key: KeyMissingTwo, Name: "missing-two", Description: `every permission except "find all tags" and "find all requisitions", confidential access`, Confidential: true, Missing: []string{"find all tags", "find all requisitions"}},
		{Key: KeyNoNotes, Name: "no-notes", Description: `every permission except "find all opportunity notes", confidential access`, Confidential: true, Missing: []string{"find all opportunity notes"}},
		{Key: KeySandbox, Name: "sandbox", Description: "every permission and confidential access, valid only on the sandbox URL", Sandbox: true, Confidential: true},
	}
}

// keyGrant is a key's permissions as looked up per request.
type keyGrant struct {
	info    KeyInfo
	missing map[string]bool
}

func keyTable() map[string]*keyGrant {
	t := map[string]*keyGrant{}
	for _, k := range Keys() {
		g := &keyGrant{info: k, missing: map[string]bool{}}
		for _, m := range k.Missing {
			g.missing[m] = true
		}
		t[k.Key] = g
	}
	return t
}
