package npy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// pyKind is the kind of a Python literal in a header.
type pyKind int

const (
	pyOther pyKind = iota // a list, a dict, a float, None, or a tuple of other things
	pyStr
	pyBool
	pyInt
	pyTuple // a tuple of integers
)

// pyValue is a Python literal of the header dict; raw is its source text.
type pyValue struct {
	kind pyKind
	str  string
	b    bool
	i    int
	ints []int
	raw  string
}

// parseDict parses the header text: a Python dict literal with string keys, such as
// "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }", optionally followed by
// spaces and a newline.
func parseDict(text string) (map[string]pyValue, error) {
	p := &pyParser{s: text}
	p.space()
	if !p.eat('{') {
		return nil, errors.New("header is not a Python dict")
	}
	dict := make(map[string]pyValue)
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.value(0)
		if err != nil {
			return nil, err
		}
		if key.kind != pyStr {
			return nil, fmt.Errorf("header key %s is not a string", key.raw)
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Errorf("header: missing ':' after key %s", key.raw)
		}
		p.space()
		val, err := p.value(0)
		if err != nil {
			return nil, err
		}
		if _, dup := dict[key.str]; dup {
			return nil, fmt.Errorf("header key %s given twice", key.raw)
		}
		dict[key.str] = val
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return nil, fmt.Errorf("header: want ',' or '}' at offset %d", p.pos)
		}
		break
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("header: unexpected %q after the dict", p.s[p.pos:])
	}
	return dict, nil
}

type pyParser struct {
	s   string
	pos int
}

func (p *pyParser) space() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

const maxDepth = 32

// value parses one literal: a string, True, False, None, a number, or a (nested) tuple, list
// or dict.
func (p *pyParser) value(depth int) (pyValue, error) {
	if depth > maxDepth {
		return pyValue{}, errors.New("header: literals nested too deeply")
	}
	start := p.pos
	if p.pos >= len(p.s) {
		return pyValue{}, errors.New("header: unexpected end")
	}
	var v pyValue
	switch c := p.s[p.pos]; {
	case c == '\'' || c == '"':
		p.pos++
		var b strings.Builder
		for {
			if p.pos >= len(p.s) {
				return pyValue{}, errors.New("header: unterminated string")
			}
			ch := p.s[p.pos]
			p.pos++
			if ch == c {
				break
			}
			if ch == '\\' && p.pos < len(p.s) {
				ch = p.s[p.pos]
				p.pos++
			}
			b.WriteByte(ch)
		}
		v = pyValue{kind: pyStr, str: b.String()}
	case c == '(' || c == '[' || c == '{':
		closing := map[byte]byte{'(': ')', '[': ']', '{': '}'}[c]
		p.pos++
		var elems []pyValue
		for {
			p.space()
			if p.eat(closing) {
				break
			}
			e, err := p.value(depth + 1)
			if err != nil {
				return pyValue{}, err
			}
			elems = append(elems, e)
			p.space()
			if c == '{' && p.eat(':') {
				p.space()
				if _, err := p.value(depth + 1); err != nil {
					return pyValue{}, err
				}
				p.space()
			}
			if p.eat(',') {
				continue
			}
			p.space()
			if !p.eat(closing) {
				return pyValue{}, fmt.Errorf("header: want ',' or '%c' at offset %d", closing, p.pos)
			}
			break
		}
		v = pyValue{kind: pyOther}
		if c == '(' {
			ints := make([]int, 0, len(elems))
			for _, e := range elems {
				if e.kind != pyInt {
					ints = nil
					break
				}
				ints = append(ints, e.i)
			}
			if ints != nil {
				v = pyValue{kind: pyTuple, ints: ints}
			}
		}
	default:
		for p.pos < len(p.s) && strings.IndexByte(" \t\r\n,:)]}", p.s[p.pos]) < 0 {
			p.pos++
		}
		word := p.s[start:p.pos]
		switch word {
		case "":
			return pyValue{}, fmt.Errorf("header: unexpected %q at offset %d", p.s[p.pos:p.pos+1], p.pos)
		case "True", "False":
			v = pyValue{kind: pyBool, b: word == "True"}
		default:
			// Python 2 wrote long integers with an L suffix.
			if n, err := strconv.ParseInt(strings.TrimSuffix(word, "L"), 10, 64); err == nil && int64(int(n)) == n {
				v = pyValue{kind: pyInt, i: int(n)}
			} else {
				v = pyValue{kind: pyOther}
			}
		}
	}
	v.raw = p.s[start:p.pos]
	return v, nil
}
