//go:build !unix

package app

import "errors"

// freeSpace cannot tell on this system.
func freeSpace(string) (int64, error) {
	return -1, errors.New("free space is not measured on this system")
}
