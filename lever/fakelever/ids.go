package fakelever

import (
	"encoding/hex"
	"strconv"
)

// kind salts keep the ids and random draws of each record kind apart.
const (
	kindOpportunity uint64 = iota + 1
	kindPosting
	kindUser
	kindRequisition
	kindStage
	kindArchiveReason
	kindContact
	kindApplication
	kindNote
	kindInterview
	kindOffer
	kindResume
	kindFile
	kindFeedback
	kindFault
	kindMutation
)

// mix is the splitmix64 finaliser: a cheap, well-spread 64-bit hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rng is a tiny deterministic generator; every record draws from its own,
// seeded by (seed, kind, index), so records can be generated in any order.
type rng struct{ s uint64 }

func newRNG(seed int64, kind uint64, i int) rng {
	return rng{s: mix(uint64(seed)*0x9e3779b97f4a7c15 ^ kind*0xc2b2ae3d27d4eb4f ^ uint64(i)*0x165667b19e3779f9)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// chance is true with probability p.
func (r *rng) chance(p float64) bool {
	return float64(r.next()>>11)/(1<<53) < p
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

const (
	mask48 = 1<<48 - 1
	idMul1 = 0xB5AD4ECEDA1B
	idMul2 = 0x9E3779B97F4B
)

// inverse48 is the multiplicative inverse of an odd a modulo 2^48.
func inverse48(a uint64) uint64 {
	inv := a
	for range 6 {
		inv *= 2 - a*inv
	}
	return inv & mask48
}

var idMul1Inverse, idMul2Inverse = inverse48(idMul1), inverse48(idMul2)

// scramble48 is a bijection on 48-bit values that spreads small indexes.
func scramble48(x uint64) uint64 {
	x = x * idMul1 & mask48
	x ^= x >> 24
	x = x * idMul2 & mask48
	return x ^ x>>24
}

func unscramble48(x uint64) uint64 {
	x ^= x >> 24
	x = x * idMul2Inverse & mask48
	x ^= x >> 24
	return x * idMul1Inverse & mask48
}

// uuid derives a version-4-shaped UUID for record i of kind. The last 48 bits
// are a reversible scramble of i, so an id maps back to its index without a
// table; the rest is a keyed hash, so forged ids are rejected.
func uuid(seed int64, kind uint64, i int) string {
	var b [16]byte
	x := scramble48((uint64(i) ^ mix(uint64(seed)^kind)) & mask48)
	h := mix(uint64(seed) ^ kind*0xff51afd7ed558ccd ^ x)
	h2 := mix(h)
	for k := range 8 {
		b[k] = byte(h >> (56 - 8*k))
	}
	b[8] = byte(h2 >> 8)
	b[9] = byte(h2)
	for k := range 6 {
		b[10+k] = byte(x >> (40 - 8*k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// indexOf reverses uuid: the index of id among n records of kind, or false.
func indexOf(seed int64, kind uint64, id string, n int) (int, bool) {
	if len(id) != 36 {
		return 0, false
	}
	x, err := strconv.ParseUint(id[24:], 16, 64)
	if err != nil {
		return 0, false
	}
	x = unscramble48(x)
	i := int((x ^ mix(uint64(seed)^kind)) & mask48)
	if i < 0 || i >= n || uuid(seed, kind, i) != id {
		return 0, false
	}
	return i, true
}
