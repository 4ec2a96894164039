package points

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jinnang/jinnang/portal/auth"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// maxRecord bounds a profile or post marker read.
const maxRecord = 64 << 10

// PostsSource counts the "my posts" markers that auth.Users keeps
// (users/<hash>.json profiles and users/<hash>/posts/<kind>-<ref>.json) of
// the given kinds, e.g. KindPack for packs people wrote in the portal.
func PostsSource(st store.Store, kinds ...string) Source {
	return func(ctx context.Context) ([]Contribution, error) {
		type person struct {
			id, name string
			posts    []auth.Post
		}
		people := map[string]*person{}
		get := func(h string) *person {
			p := people[h]
			if p == nil {
				p = &person{}
				people[h] = p
			}
			return p
		}
		for obj, err := range st.List(ctx, "users/") {
			if err != nil {
				return nil, fmt.Errorf("list users: %w", err)
			}
			rest := strings.TrimPrefix(obj.Key, "users/")
			if h, ok := strings.CutSuffix(rest, ".json"); ok && !strings.Contains(h, "/") {
				var prof auth.Profile
				if err := readJSON(ctx, st, obj.Key, &prof); err != nil {
					return nil, err
				}
				get(h).id, get(h).name = prof.ID, prof.Name
				continue
			}
			h, name, ok := strings.Cut(rest, "/posts/")
			kind, _, _ := strings.Cut(name, "-")
			if !ok || !slices.Contains(kinds, kind) {
				continue
			}
			var p auth.Post
			if err := readJSON(ctx, st, obj.Key, &p); err != nil {
				return nil, err
			}
			get(h).posts = append(get(h).posts, p)
		}
		var out []Contribution
		for _, p := range people {
			if p.id == "" {
				continue // posts without a profile: nobody to credit
			}
			for _, post := range p.posts {
				out = append(out, Contribution{UserID: p.id, Name: p.name, Kind: post.Kind, At: post.At, Ref: post.Kind + "-" + post.Ref})
			}
		}
		return out, nil
	}
}

// readJSON reads a small record; one removed meanwhile leaves v empty.
func readJSON(ctx context.Context, st store.Store, key string, v any) error {
	_, err := record.ReadReported(ctx, st, key, v, maxRecord)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
