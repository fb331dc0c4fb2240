package progress

// Restore returns a model that starts from s, a snapshot taken by another
// model (`leversync watch` receives one from the syncing process), and goes
// on applying events as if it had seen every event before them.
//
// The model keeps its own copy of s: s itself is never changed.
func Restore(s Snapshot) *Model {
	// A model's Snapshot is a deep copy of everything a snapshot holds, so
	// copying through it carries every field, including any added later.
	seed := &Model{s: s}
	m := &Model{s: seed.Snapshot(), index: make(map[string]int, len(s.Phases))}
	for i, p := range m.s.Phases {
		m.index[p.Name] = i
	}
	return m
}
