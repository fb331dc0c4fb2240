package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"
)

// ErrNotStore: the path is not a leversync data file (a folder, a device,
// a text file, another program's bbolt file). Nothing was changed.
var ErrNotStore = errors.New("not a leversync data file")

// Recognize tells, without writing anything, whether path is a leversync
// data file, sound or damaged: nil when it is; an error matching
// ErrNotStore that says what it is instead; ErrNoStore when nothing is
// there; ErrInUse when a sync holds it.
func Recognize(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w (looked for %s)", ErrNoStore, path)
	case err != nil:
		return fmt.Errorf("look at %s: %w", path, err)
	case !info.Mode().IsRegular():
		return notStore(path, fileKind(info.Mode()))
	case info.Size() == 0:
		return notStore(path, "an empty file")
	}
	s, err := Open(path, Options{ReadOnly: true})
	switch {
	case err == nil:
		return s.Close()
	case errors.Is(err, ErrSchema):
		return nil // leversync's, of another version
	case !errors.Is(err, ErrCorrupt):
		return err
	}
	what, ours, err := sniff(path)
	if err != nil {
		return fmt.Errorf("look at %s: %w", path, err)
	}
	if ours {
		return nil
	}
	return notStore(path, what)
}

// notOurs words err, an ErrCorrupt for the file at path, for a file that
// was never leversync's: reset, which corruptError suggests, deletes only
// leversync's files.
func notOurs(path string, err error) error {
	if !errors.Is(err, ErrCorrupt) {
		return err
	}
	if what, ours, serr := sniff(path); serr == nil && !ours {
		return fmt.Errorf("%w: %s is %s; it was left untouched: move it away or pass another --db", ErrCorrupt, path, what)
	}
	return err
}

func notStore(path, what string) error {
	return fmt.Errorf("%w: %s is %s", ErrNotStore, path, what)
}

// fileKind names what a path that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// leversyncMarker is the name of a bucket no other program uses; bbolt
// keeps bucket names as plain bytes, so it survives damage elsewhere.
var leversyncMarker = bucketPostingIndex

// sniff looks at a file bbolt could not open: a bbolt file whose pages still
// name leversync's buckets is a damaged leversync file; anything else is
// described.
func sniff(path string) (what string, ours bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return "", false, err
	}
	head = head[:n]
	text := utf8.Valid(head) && !bytes.ContainsRune(head, 0)
	magic := hasBoltMagic(f, head)
	info, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	// A bbolt file is whole pages; one whose meta pages were wiped is still
	// recognized by its pages.
	paged := !text && info.Size()%4096 == 0
	if magic || paged {
		found, err := containsAny(bufio.NewReaderSize(io.NewSectionReader(f, 0, info.Size()), 1<<20), leversyncMarker, signature)
		if err != nil {
			return "", false, err
		}
		if found {
			return "a damaged leversync data file", true, nil
		}
	}
	switch {
	case magic:
		return "a bbolt file of another program (or one damaged beyond recognition)", false, nil
	case text:
		return "a text file", false, nil
	}
	return "a file that is not a bbolt database", false, nil
}

// hasBoltMagic reports whether either meta page starts like bbolt's, even
// if its checksum no longer matches.
func hasBoltMagic(f *os.File, head []byte) bool {
	magic := func(b []byte) bool {
		return len(b) >= pageHeaderLen+8 && binary.LittleEndian.Uint32(b[pageHeaderLen:]) == boltMagic
	}
	if magic(head) {
		return true
	}
	buf := make([]byte, pageHeaderLen+8)
	for _, ps := range []int{os.Getpagesize(), 4096, 8192, 16384, 65536} {
		if _, err := f.ReadAt(buf, int64(ps)); err == nil && magic(buf) {
			return true
		}
	}
	return false
}

// containsAny reports whether r holds one of needles, reading it once in
// chunks.
func containsAny(r io.Reader, needles ...[]byte) (bool, error) {
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	buf := make([]byte, 0, 1<<20+longest)
	chunk := make([]byte, 1<<20)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for _, needle := range needles {
			if bytes.Contains(buf, needle) {
				return true, nil
			}
		}
		if keep := longest - 1; len(buf) > keep {
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
