// Package lease gives background jobs one runner across portal processes:
// a lease is a small record in the object store, taken and renewed by
// conditional writes (If-None-Match to create, If-Match to take over), with
// an expiry so that a crashed holder's lease lapses on its own.
package lease

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/store"
)

// Prefix is where lease records live in the store.
const Prefix = "leases/"

// Record is one lease as stored.
type Record struct {
	Name    string    `json:"name"`
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
	Taken   time.Time `json:"taken"`
}

// Leaser takes and releases leases on behalf of one process.
type Leaser struct {
	st     store.Store
	holder string
	now    func() time.Time
}

// New returns a Leaser for this process. The holder id names the host and
// process and carries a random part, so two processes never share one.
func New(st store.Store) *Leaser {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Leaser{st: st, holder: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:])), now: time.Now}
}

// WithHolder returns a copy of l that holds leases under the given id (tests,
// or a process that wants a stable name).
func (l *Leaser) WithHolder(id string) *Leaser { c := *l; c.holder = id; return &c }

// WithClock returns a copy of l that reads time from now (tests).
func (l *Leaser) WithClock(now func() time.Time) *Leaser { c := *l; c.now = now; return &c }

// Holder is this process's holder id.
func (l *Leaser) Holder() string { return l.holder }

func key(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return "", fmt.Errorf("lease: invalid name %q", name)
	}
	k := Prefix + name + ".json"
	return k, store.ValidateKey(k)
}

// Acquire takes the lease called name for ttl, or renews it when this
// process already holds it. It reports false (and no error) when another
// process holds a lease that has not expired. Two processes racing for a
// free or lapsed lease cannot both win: the loser's conditional write fails.
func (l *Leaser) Acquire(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	k, err := key(name)
	if err != nil {
		return false, err
	}
	now := l.now()
	rec := Record{Name: name, Holder: l.holder, Expires: now.Add(ttl), Taken: now}
	cur, etag, err := l.read(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return l.write(ctx, k, rec, store.PutOptions{IfNoneMatch: true})
	case err != nil:
		return false, err
	}
	if cur.Holder != l.holder && now.Before(cur.Expires) {
		return false, nil
	}
	if cur.Holder == l.holder {
		rec.Taken = cur.Taken
	}
	return l.write(ctx, k, rec, store.PutOptions{IfMatch: etag})
}

// Release gives the lease up if this process holds it, so another process
// need not wait for the expiry. Releasing a lease held by another process
// (or one that does not exist) does nothing.
func (l *Leaser) Release(ctx context.Context, name string) error {
	k, err := key(name)
	if err != nil {
		return err
	}
	cur, etag, err := l.read(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.Holder != l.holder {
		return nil
	}
	cur.Expires = time.Time{}
	_, err = l.write(ctx, k, cur, store.PutOptions{IfMatch: etag})
	return err
}

// Get reads the current record of the lease called name (ErrNotFound if it
// was never taken). Expired leases are returned as stored.
func (l *Leaser) Get(ctx context.Context, name string) (Record, error) {
	k, err := key(name)
	if err != nil {
		return Record{}, err
	}
	rec, _, err := l.read(ctx, k)
	return rec, err
}

// Run calls f if this process can take the lease called name for ttl, and
// releases the lease afterwards. It reports whether f ran. The context
// passed to f ends when ttl runs out, so a job that overruns its lease
// stops instead of running beside the next holder.
func (l *Leaser) Run(ctx context.Context, name string, ttl time.Duration, f func(context.Context) error) (bool, error) {
	ok, err := l.Acquire(ctx, name, ttl)
	if err != nil || !ok {
		return false, err
	}
	jctx, cancel := context.WithTimeout(ctx, ttl)
	defer cancel()
	ferr := f(jctx)
	// Release with the outer context: the job's may have run out.
	rerr := l.Release(context.WithoutCancel(ctx), name)
	return true, errors.Join(ferr, rerr)
}

func (l *Leaser) read(ctx context.Context, k string) (Record, string, error) {
	rc, obj, err := l.st.Get(ctx, k)
	if err != nil {
		return Record{}, "", err
	}
	defer rc.Close()
	var rec Record
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return Record{}, "", err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		// A corrupt lease is treated as lapsed so that it cannot block jobs forever.
		return Record{Name: strings.TrimSuffix(strings.TrimPrefix(k, Prefix), ".json")}, obj.ETag, nil
	}
	return rec, obj.ETag, nil
}

func (l *Leaser) write(ctx context.Context, k string, rec Record, opts store.PutOptions) (bool, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	opts.ContentType = "application/json"
	opts.Size = int64(len(b))
	_, err = l.st.Put(ctx, k, bytes.NewReader(b), opts)
	if errors.Is(err, store.ErrPrecondition) || (opts.IfMatch != "" && errors.Is(err, store.ErrNotFound)) {
		return false, nil // another process won the race
	}
	return err == nil, err
}
