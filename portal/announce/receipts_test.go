package announce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jinnang/jinnang/portal/markdown"
)

func TestReceiptsAndComments(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			s := New(st, markdown.New(), func() time.Time { return day(2026, 6, 1) })
			ctx := context.Background()
			a, err := s.Create(ctx, Input{Title: "新报销制度", Everyone: true, Confirm: true, By: "dev:wangmin", ByName: "王敏"})
			if err != nil {
				t.Fatal(err)
			}
			// Many readers of one department at once: every receipt counts.
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Confirm(ctx, a.ID, Receipt{UserID: fmt.Sprintf("dev:u%d", i), Name: "同事", Department: "销售部", Kind: ReceiptAck}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if _, err := s.Confirm(ctx, a.ID, Receipt{UserID: "dev:q", Department: "财务部", Kind: ReceiptQuestion}); !errors.Is(err, ErrInvalid) {
				t.Errorf("a question without a comment: %v", err)
			}
			if _, err := s.Confirm(ctx, a.ID, Receipt{UserID: "dev:q", Name: "问", Department: "财务部", Kind: ReceiptQuestion, Comment: "发票抬头写什么？"}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Receipts(ctx, a.ID, []string{"销售部", "财务部", "技术部"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got["销售部"]) != 12 || got["财务部"]["dev:q"].Comment != "发票抬头写什么？" || len(got["技术部"]) != 0 {
				t.Errorf("receipts: %d / %+v / %d", len(got["销售部"]), got["财务部"], len(got["技术部"]))
			}
			if r, _ := s.MyReceipt(ctx, a.ID, "dev:u3", "销售部"); r == nil || r.Kind != ReceiptAck {
				t.Errorf("my receipt: %+v", r)
			}
			if _, err := s.AddComment(ctx, a.ID, Comment{AuthorID: "dev:x", Text: "好"}); !errors.Is(err, ErrInvalid) {
				t.Errorf("comment where comments are off: %v", err)
			}
			b2, _ := s.Create(ctx, Input{Title: "团建", Everyone: true, Comments: true, By: "dev:wangmin"})
			for _, text := range []string{"第一条", "第二条"} {
				if _, err := s.AddComment(ctx, b2.ID, Comment{AuthorID: "dev:x", AuthorName: "小", Text: text}); err != nil {
					t.Fatal(err)
				}
			}
			cs, err := s.Comments(ctx, b2.ID, 10)
			if err != nil || len(cs) != 2 {
				t.Fatalf("comments: %v %+v", err, cs)
			}
			if err := s.DeleteExtras(ctx, b2.ID); err != nil {
				t.Fatal(err)
			}
			if cs, _ := s.Comments(ctx, b2.ID, 10); len(cs) != 0 {
				t.Errorf("comments after delete: %+v", cs)
			}
		})
	}
}
