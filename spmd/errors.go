package spmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stemreduce/stemreduce/collective"
)

// Exit codes of stemreduce. They are documented in `stemreduce --help`.
const (
	ExitOK       = 0   // success
	ExitFailure  = 1   // run failed: I/O, numerics, --strict non-convergence
	ExitUsage    = 2   // usage error: bad flags or arguments
	ExitInput    = 3   // invalid input data: shape, dtype, NaN
	ExitInternal = 70  // internal error: a rank panicked and the job aborted
	ExitCanceled = 130 // cancelled by signal
)

// codedError is an error with an exit code.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// Usagef returns a usage error (exit code 2) with a formatted message.
func Usagef(format string, args ...any) error {
	return &codedError{ExitUsage, fmt.Errorf(format, args...)}
}

// Inputf returns an invalid-input error (exit code 3) with a formatted message. %w wraps.
func Inputf(format string, args ...any) error {
	return &codedError{ExitInput, fmt.Errorf(format, args...)}
}

// WithCode marks err with an exit code. It returns nil if err is nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code, err}
}

// Code returns the exit code for err: 0 for nil, 130 for a cancelled context, the code
// attached by Usagef, Inputf or WithCode, and 1 otherwise.
func Code(err error) int {
	var ce *codedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	}
	return ExitFailure
}

// RankError is the error every rank returns from Agree when some rank failed.
type RankError struct {
	Rank, Size int    // the lowest failing rank and the number of ranks
	Code       int    // its exit code
	Msg        string // its error message
	err        error  // the original error, on the failing rank only
}

func (e *RankError) Error() string {
	if e.Size == 1 {
		return e.Msg
	}
	return fmt.Sprintf("%s (rank %d of %d)", e.Msg, e.Rank, e.Size)
}

// Unwrap returns the original error on the rank where it happened, and nil elsewhere.
func (e *RankError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return &codedError{e.Code, errors.New(e.Msg)}
}

// Agree makes a local error a shared decision: if err is non-nil on any rank, every rank
// returns a *RankError with the lowest failing rank's message and exit code; otherwise
// every rank returns nil.
// Collective: every rank must call it at the same point.
func Agree(c collective.Comm, err error) error {
	flag := []int64{int64(c.Size())}
	if err != nil {
		flag[0] = int64(c.Rank())
	}
	if aerr := c.AllreduceInt64(flag, collective.Min); aerr != nil {
		return aerr
	}
	root := int(flag[0])
	if root == c.Size() {
		return nil
	}
	var msg []byte
	head := []int64{0, int64(root)} // exit code, rank the error comes from
	if c.Rank() == root {
		msg = []byte(oneLine(err.Error()))
		head[0] = int64(Code(err))
		if prev, ok := err.(*RankError); ok { // agreed before: keep its rank and message
			msg, head[1] = []byte(prev.Msg), int64(prev.Rank)
		}
	}
	if aerr := collective.BcastOf(c, head, root); aerr != nil {
		return aerr
	}
	msg, aerr := collective.BcastBytes(c, msg, root)
	if aerr != nil {
		return aerr
	}
	re := &RankError{Rank: int(head[1]), Size: c.Size(), Code: int(head[0]), Msg: string(msg)}
	if c.Rank() == root {
		re.err = err
	}
	return re
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
