package fakelever

type faultKind int

const (
	faultNone faultKind = iota
	faultUnavailable
	faultDrop
	faultTruncate
)

// fault decides, deterministically from the seed and the request's sequence
// number, whether this request fails and how.
func (s *Server) fault() faultKind {
	if s.cfg.Faults <= 0 {
		return faultNone
	}
	n := s.reqSeq.Add(1)
	r := newRNG(s.cfg.Seed, kindFault, int(n))
	if !r.chance(s.cfg.Faults) {
		return faultNone
	}
	return faultKind(1 + r.intn(3))
}
