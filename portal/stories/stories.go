// Package stories is the culture feed (like WeChat Moments): short posts of
// text with up to nine photos, likes, comments, reports and moderation.
//
// Store layout (a person can read the bucket):
//
//	stories/<id>/story.json                      the story (Story as JSON); create-once, then If-Match
//	stories/<id>/img/<n>.jpg                     photo n (1-based), re-encoded, create-once
//	stories/<id>/thumb/<n>.jpg                   its square thumbnail, create-once
//	stories/<id>/likes/<hex sha256(user)[:32]>   one like per user, create-once
//	stories/<id>/comments/<nanos>-<rand>.json    one comment, create-once
//	stories/<id>/comments.json                   the social digest (derived; digest.go)
//	stories/<id>/reports/<hex sha256(user)[:32]> one report per user, create-once
//	modqueue/<id>.json                           the story waits for a moderator
//	warnings/<hex sha256(user)[:32]>/<nanos>-<id>.json  a moderator's warning to the author
//	outbox/stories/<id>.json                     pending index write
//
// Visible stories are indexed as kind "story"; hidden and deleted ones leave
// the index but keep their record, so moderators can still see and restore them.
package stories

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/ids"
	"github.com/jinnang/jinnang/portal/images"
	"github.com/jinnang/jinnang/portal/index"
	"github.com/jinnang/jinnang/portal/outbox"
	"github.com/jinnang/jinnang/portal/points"
	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Kind is the index kind of stories (and the post kind in "my posts").
const Kind = "story"

// Limits of a story.
const (
	MaxText        = 500 // runes of story text
	MaxImages      = 9
	MaxComment     = 300 // runes of a comment
	MaxComments    = 500 // comments per story
	MaxTags        = 5
	maxTagRunes    = 20
	maxRecordBytes = 1 << 20
	// DefaultAutoHide is how many distinct reports hide a story until a moderator looks.
	DefaultAutoHide = 3
	updateAttempts  = 5
	cleanupTimeout  = 30 * time.Second
)

// Sentinel errors; their wrapped messages are fit to show.
var (
	// ErrInvalid means the input breaks a limit (text, images, comment, reason).
	ErrInvalid = errors.New("stories: invalid input")
	// ErrForbidden means the user may not do this to the story or comment.
	ErrForbidden = errors.New("stories: not allowed")
)

// State is a story's moderation state.
type State string

// The states of a story.
const (
	StateVisible State = "visible"
	StateHidden  State = "hidden"
	StateDeleted State = "deleted"
)

// Image describes one stored photo.
type Image struct {
	N      int `json:"n"` // 1-based
	Width  int `json:"w"`
	Height int `json:"h"`
}

// Story is the record of one post.
type Story struct {
	ID         string    `json:"id"` // 16 lowercase base32 characters
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	Department string    `json:"department"`
	Text       string    `json:"text"`
	Tags       []string  `json:"tags"` // campaign tags (#活动) from the text
	Images     []Image   `json:"images"`
	Created    time.Time `json:"created"`
	State      State     `json:"state"`
	// StateBy and StateAt say who last changed the state ("auto" for
	// auto-hide) and when; StateNote is the moderator's reason.
	StateBy   string    `json:"state_by,omitempty"`
	StateAt   time.Time `json:"state_at,omitzero"`
	StateNote string    `json:"state_note,omitempty"`
	// Reviewed is how many reports a moderator had seen at the last decision;
	// only reports beyond it count towards auto-hide.
	Reviewed int    `json:"reviewed,omitempty"`
	ETag     string `json:"-"`

	// Video is the story's short video, nil for none: its transcode job in
	// package media, which holds the state and the files.
	Video *Media `json:"video,omitempty"`
	// Voice is the story's voice note, nil for none.
	Voice *Media `json:"voice,omitempty"`
}

// Media names a video or voice note by its media job id.
type Media struct {
	Job string `json:"job"`
}

// Visible reports whether the story shows in the feed.
func (s *Story) Visible() bool { return s.State == StateVisible }

// Segment is a piece of story text: plain text, or a campaign tag to link.
type Segment struct {
	Text string
	Tag  string // non-empty for "#tag"; Text then holds "#tag"
}

// tagRE finds campaign tags: '#' then letters, digits or '_' (an optional
// closing '#' as in the WeChat style #活动#).
var tagRE = regexp.MustCompile(`#([\p{L}\p{N}_]{1,20})#?`)

// Segments splits the text into plain text and campaign tags.
func (s *Story) Segments() []Segment {
	var out []Segment
	last := 0
	for _, m := range tagRE.FindAllStringSubmatchIndex(s.Text, -1) {
		if m[0] > last {
			out = append(out, Segment{Text: s.Text[last:m[0]]})
		}
		out = append(out, Segment{Text: s.Text[m[0]:m[1]], Tag: s.Text[m[2]:m[3]]})
		last = m[1]
	}
	if last < len(s.Text) {
		out = append(out, Segment{Text: s.Text[last:]})
	}
	return out
}

// Tags returns the campaign tags of text, in order, without duplicates.
func Tags(text string) []string {
	var tags []string
	for _, m := range tagRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(tags, m[1]) {
			tags = append(tags, m[1])
		}
	}
	return tags
}

// Author is who posts, comments or reports.
type Author struct {
	ID, Name, Department string
}

// NewStory is the input of Create. Images are the processed photos
// (images.Process), in order.
type NewStory struct {
	Author Author
	Text   string
	Images []images.Result
	// VideoJob is the media job of the story's video (already queued), "" for none.
	VideoJob string
	// VoiceJob is the media job of the story's voice note, "" for none.
	VoiceJob string
}

// Service stores, indexes and moderates stories.
type Service struct {
	store    store.Store
	index    index.Index
	log      *slog.Logger
	now      func() time.Time
	autoHide int
	outbox   *outbox.Outbox  // stories whose index write failed
	points   *points.Service // leaderboard tally kept on every write; nil: none
}

// Options tune a Service.
type Options struct {
	// AutoHide is how many distinct reports hide a story; 0 means DefaultAutoHide.
	AutoHide int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns a Service over the given ports.
func New(st store.Store, ix index.Index, log *slog.Logger, opts Options) *Service {
	s := &Service{store: st, index: ix, log: log, now: opts.Now, autoHide: opts.AutoHide, outbox: outbox.New(st, outboxPrefix)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.autoHide <= 0 {
		s.autoHide = DefaultAutoHide
	}
	return s
}

// ValidID reports whether id has the shape of a story ID.
func ValidID(id string) bool { return ids.Valid(id) }

func checkID(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("story %q: %w", id, store.ErrNotFound)
	}
	return nil
}

const (
	storiesPrefix = "stories/"
	queuePrefix   = "modqueue/"
	warnPrefix    = "warnings/"
	outboxPrefix  = "outbox/stories/"
)

func dir(id string) string             { return storiesPrefix + id + "/" }
func recordKey(id string) string       { return dir(id) + "story.json" }
func imageKey(id string, n int) string { return fmt.Sprintf("%simg/%d.jpg", dir(id), n) }
func thumbKey(id string, n int) string { return fmt.Sprintf("%sthumb/%d.jpg", dir(id), n) }
func docID(id string) string           { return Kind + "_" + id }

// userHash names a user in keys without their ID.
func userHash(userID string) string {
	h := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(h[:])[:32]
}

// cleanText strips control and format characters (keeping newlines) and
// surrounding space.
func cleanText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s))
}

// CheckText validates story text and returns it cleaned.
func CheckText(text string) (string, error) {
	text = cleanText(text)
	if n := utf8.RuneCountInString(text); n > MaxText {
		return "", &InvalidError{Zh: fmt.Sprintf("文字有 %d 字，最多 %d 字", n, MaxText), En: fmt.Sprintf("the text has %d characters, at most %d", n, MaxText)}
	}
	return text, nil
}

// Create stores a new story (images first, then the record, create-once)
// and indexes it. A story needs text or at least one image.
func (s *Service) Create(ctx context.Context, in NewStory) (*Story, error) {
	text, err := CheckText(in.Text)
	if err != nil {
		return nil, err
	}
	switch {
	case text == "" && len(in.Images) == 0 && in.VideoJob == "" && in.VoiceJob == "":
		return nil, &InvalidError{Zh: "请写点什么或选择图片", En: "write something or add a photo"}
	case len(in.Images) > MaxImages:
		return nil, &InvalidError{Zh: fmt.Sprintf("最多 %d 张图片", MaxImages), En: fmt.Sprintf("at most %d photos", MaxImages)}
	case in.Author.ID == "":
		return nil, errors.New("stories: create: no author")
	}
	tags := Tags(text)
	if len(tags) > MaxTags {
		return nil, &InvalidError{Zh: fmt.Sprintf("最多 %d 个话题标签", MaxTags), En: fmt.Sprintf("at most %d #tags", MaxTags)}
	}
	st := &Story{
		ID: ids.New(), Author: in.Author.ID, AuthorName: in.Author.Name, Department: in.Author.Department,
		Text: text, Tags: tags, Created: s.now().UTC(), State: StateVisible,
	}
	if in.VideoJob != "" {
		st.Video = &Media{Job: in.VideoJob}
	}
	if in.VoiceJob != "" {
		st.Voice = &Media{Job: in.VoiceJob}
	}
	var written []string
	for i, img := range in.Images {
		n := i + 1
		for key, b := range map[string][]byte{imageKey(st.ID, n): img.Full, thumbKey(st.ID, n): img.Thumb} {
			if _, err := s.store.Put(ctx, key, bytes.NewReader(b), store.PutOptions{
				ContentType: "image/jpeg", Size: int64(len(b)), IfNoneMatch: true,
			}); err != nil {
				s.discard(ctx, written)
				return nil, fmt.Errorf("stories: store photo %d: %w", n, err)
			}
			written = append(written, key)
		}
		st.Images = append(st.Images, Image{N: n, Width: img.Width, Height: img.Height})
	}
	if err := s.putRecord(ctx, st, store.PutOptions{IfNoneMatch: true}, false); err != nil {
		s.discard(ctx, written)
		return nil, err
	}
	if err := s.sync(ctx, st); err != nil {
		return st, err
	}
	return st, nil
}

// discard removes the objects of a failed create, even if ctx is cancelled.
func (s *Service) discard(ctx context.Context, keys []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			s.log.Warn("could not remove a photo of a failed story", "key", k, "err", err)
		}
	}
}

// Get returns a story in any state; a missing or malformed id is store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Story, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var st Story
	etag, err := s.readJSON(ctx, recordKey(id), &st)
	if err != nil {
		return nil, fmt.Errorf("get story %q: %w", id, err)
	}
	if st.ID != id {
		return nil, fmt.Errorf("story %q: record names id %q", id, st.ID)
	}
	st.ETag = etag
	return &st, nil
}

// Image opens photo n (1-based) of a story, or its thumbnail. It does not
// check the story's state: the caller decides who may see it.
func (s *Service) Image(ctx context.Context, id string, n int, thumb bool) (io.ReadCloser, store.Object, error) {
	if err := checkID(id); err != nil {
		return nil, store.Object{}, err
	}
	if n < 1 || n > MaxImages {
		return nil, store.Object{}, fmt.Errorf("story %q photo %d: %w", id, n, store.ErrNotFound)
	}
	key := imageKey(id, n)
	if thumb {
		key = thumbKey(id, n)
	}
	rc, obj, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, store.Object{}, fmt.Errorf("story %q photo %d: %w", id, n, err)
	}
	return rc, obj, nil
}

// Page is one page of the feed.
type Page struct {
	Stories []*Story
	// Social are the likes, comments and media of Stories, in order, for
	// the viewer FeedFor was given.
	Social []Social
	Total  int
}

// Feed lists visible stories, newest first, optionally of one campaign tag
// (FeedFor without a viewer).
func (s *Service) Feed(ctx context.Context, tag string, offset, limit int) (Page, error) {
	return s.FeedFor(ctx, tag, "", offset, limit)
}

// FeedFor lists visible stories, newest first, optionally of one campaign
// tag, with their likes (and whether userID likes each), comments and media
// states. The untagged feed's first pages take their IDs from the feed
// head (feedhead.go, one read), the others from the index; then it reads
// one object per story, its social digest, which holds a copy of the
// record as last written: a story hidden since it was listed is left out.
func (s *Service) FeedFor(ctx context.Context, tag, userID string, offset, limit int) (Page, error) {
	ids, total, err := s.feedIDs(ctx, tag, offset, limit)
	if err != nil {
		return Page{}, err
	}
	// The digests are read a few at a time (a store round trip each).
	type card struct {
		st  *Story
		soc Social
		err error
	}
	cards := make([]card, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, feedReaders)
	for i, id := range ids {
		if !ValidID(id) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cards[i].st, cards[i].soc, cards[i].err = s.feedCard(ctx, id, userID)
		}()
	}
	wg.Wait()
	p := Page{Total: total, Stories: make([]*Story, 0, len(ids)), Social: make([]Social, 0, len(ids))}
	for _, c := range cards {
		if record.Skip(c.err) {
			continue
		}
		if c.err != nil {
			return Page{}, c.err
		}
		if c.st != nil && c.st.Visible() {
			p.Stories = append(p.Stories, c.st)
			p.Social = append(p.Social, c.soc)
		}
	}
	return p, nil
}

// feedIDs lists the story IDs of one feed page and how many stories the
// feed has: from the feed head when it covers the page, else the index.
func (s *Service) feedIDs(ctx context.Context, tag string, offset, limit int) ([]string, int, error) {
	if tag == "" && offset >= 0 && limit > 0 {
		h, err := s.readFeedHead(ctx)
		if err != nil {
			return nil, 0, err
		}
		if h.covers(offset, limit) {
			ids := []string{}
			for _, e := range h.Stories[min(offset, len(h.Stories)):min(offset+limit, len(h.Stories))] {
				ids = append(ids, e.ID)
			}
			return ids, h.Total, nil
		}
	}
	res, err := s.index.Search(ctx, index.Query{Kind: Kind, Tag: tag, Sort: index.SortNewest, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("story feed: %w", err)
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		if id, ok := strings.CutPrefix(h.Doc.ID, Kind+"_"); ok {
			ids = append(ids, id)
		}
	}
	return ids, res.Total, nil
}

// feedReaders is how many digests a feed page reads at once.
const feedReaders = 4

// feedCard reads one story of the feed from its digest.
func (s *Service) feedCard(ctx context.Context, id, userID string) (*Story, Social, error) {
	d, _, err := s.digest(ctx, id)
	if err != nil {
		return nil, Social{}, err
	}
	st := d.Story
	if st == nil || st.ID != id {
		if st, err = s.Get(ctx, id); err != nil {
			return nil, Social{}, err
		}
	} else {
		st.ETag = d.StoryETag
	}
	return st, d.social(userID), nil
}

// DailyPick returns one visible story chosen by the calendar day (the same
// all day). No stories is store.ErrNotFound.
func (s *Service) DailyPick(ctx context.Context, day time.Time) (*Story, error) {
	all, err := s.index.Search(ctx, index.Query{Kind: Kind, Sort: index.SortNewest, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("story of the day: %w", err)
	}
	if all.Total == 0 {
		return nil, fmt.Errorf("story of the day: no stories: %w", store.ErrNotFound)
	}
	h := fnv.New32a()
	h.Write([]byte("story " + day.Format(time.DateOnly)))
	p, err := s.Feed(ctx, "", int(h.Sum32()%uint32(all.Total)), 1)
	if err != nil {
		return nil, err
	}
	if len(p.Stories) == 0 {
		return nil, fmt.Errorf("story of the day: index shrank: %w", store.ErrNotFound)
	}
	return p.Stories[0], nil
}

// putRecord writes st's record with opts and sets st.ETag.
// was says the story was visible before this write (false for a new one).
func (s *Service) putRecord(ctx context.Context, st *Story, opts store.PutOptions, was bool) error {
	if opts.IfNoneMatch { // a new story: its ID marker first (index.go)
		if err := s.markID(ctx, st.ID); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode story %q: %w", st.ID, err)
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	obj, err := s.store.Put(ctx, recordKey(st.ID), bytes.NewReader(b), opts)
	if err != nil {
		return fmt.Errorf("save story %q: %w", st.ID, err)
	}
	st.ETag = obj.ETag
	s.tallyStory(ctx, st)
	s.keepDigest(ctx, st.ID, s.digestRecord(ctx, st, opts.IfNoneMatch))
	s.keepFeedHead(ctx, st, was)
	return nil
}

// update applies change to the stored record with If-Match, retrying when
// another write won. change returns false to leave the record as it is.
func (s *Service) update(ctx context.Context, id string, change func(*Story) (bool, error)) (*Story, error) {
	var out *Story
	err := record.Retry(ctx, updateAttempts, func(int) error {
		st, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		was := st.Visible()
		ok, err := change(st)
		if err != nil || !ok {
			out = st
			return err
		}
		err = s.putRecord(ctx, st, store.PutOptions{IfMatch: st.ETag}, was)
		if errors.Is(err, store.ErrPrecondition) {
			return record.Conflict(err)
		}
		if err != nil {
			return err
		}
		out = st
		return s.sync(ctx, st)
	})
	if errors.Is(err, record.ErrContended) {
		return nil, fmt.Errorf("story %q: %w", id, err)
	}
	return out, err
}

// Delete is the author removing their own story: it leaves the feed and the
// index; the record stays for moderators.
func (s *Service) Delete(ctx context.Context, id, userID string) (*Story, error) {
	return s.update(ctx, id, func(st *Story) (bool, error) {
		if st.Author != userID {
			return false, fmt.Errorf("%w: only the author deletes a story", ErrForbidden)
		}
		if st.State == StateDeleted {
			return false, nil
		}
		st.State, st.StateBy, st.StateAt, st.StateNote = StateDeleted, userID, s.now().UTC(), ""
		return true, nil
	})
}

// readJSON reads a bounded JSON object and returns its ETag; a corrupt
// record wraps record.ErrCorrupt and is reported.
func (s *Service) readJSON(ctx context.Context, key string, v any) (string, error) {
	return record.ReadReported(ctx, s.store, key, v, maxRecordBytes)
}

// putJSON writes v as JSON under key.
func (s *Service) putJSON(ctx context.Context, key string, v any, opts store.PutOptions) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	opts.ContentType, opts.Size = "application/json", int64(len(b))
	_, err = s.store.Put(ctx, key, bytes.NewReader(b), opts)
	return err
}

// count returns how many objects lie under prefix.
func (s *Service) count(ctx context.Context, prefix string) (int, error) {
	n := 0
	for _, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return 0, fmt.Errorf("list %s: %w", prefix, err)
		}
		n++
	}
	return n, nil
}

// InvalidError is an ErrInvalid with what to tell the person, in Chinese and
// English; errors.Is(err, ErrInvalid) holds.
type InvalidError struct{ Zh, En string }

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Zh + " / " + e.En }
func (e *InvalidError) Unwrap() error { return ErrInvalid }
