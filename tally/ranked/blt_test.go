package ranked

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// readBLT reads an election in the BLT format of OpenSTV, Droop and eSTV:
// a line "candidates seats", one line per group of identical ballots
// "weight c1 c2 … 0" (candidates numbered from 1), a line "0", then the
// candidates' names and the title, each quoted on its own line.
func readBLT(r io.Reader) (p *Profile, seats int, names []string, title string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := func() ([]int, error) {
		if !sc.Scan() {
			return nil, fmt.Errorf("blt: unexpected end: %v", sc.Err())
		}
		var out []int
		for _, f := range strings.Fields(sc.Text()) {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("blt: %q: %v", sc.Text(), err)
			}
			out = append(out, v)
		}
		return out, nil
	}
	head, err := line()
	if err != nil {
		return nil, 0, nil, "", err
	}
	if len(head) != 2 {
		return nil, 0, nil, "", fmt.Errorf("blt: header %v", head)
	}
	n := head[0]
	if p, err = NewProfile(n, n); err != nil {
		return nil, 0, nil, "", err
	}
	for {
		b, err := line()
		if err != nil {
			return nil, 0, nil, "", err
		}
		if len(b) == 1 && b[0] == 0 {
			break
		}
		if len(b) < 2 || b[len(b)-1] != 0 {
			return nil, 0, nil, "", fmt.Errorf("blt: ballot %v", b)
		}
		r := make(Ranking, len(b)-2)
		for i, c := range b[1 : len(b)-1] {
			r[i] = c - 1
		}
		for range b[0] {
			p.Add(r)
		}
	}
	for range n + 1 {
		if !sc.Scan() {
			return nil, 0, nil, "", fmt.Errorf("blt: missing names")
		}
		s, err := strconv.Unquote(strings.TrimSpace(sc.Text()))
		if err != nil {
			return nil, 0, nil, "", fmt.Errorf("blt: name %q: %v", sc.Text(), err)
		}
		names = append(names, s)
	}
	return p, head[1], names[:n], names[n], nil
}
