package files

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jinnang/jinnang/portal/store"
)

func TestValidNewDepartmentName(t *testing.T) {
	for name, want := range map[string]bool{
		"财务部":                     true,
		"Customer Success":        true,
		strings.Repeat("部", 32):   true,
		strings.Repeat("部", 33):   false,
		"":                        false,
		" 财务部":                    false,
		"财务/审计":                   false,
		"财务\x00部":                 false,
		"财务\u200b部":               false, // format character
		"财务\n部":                   false,
		string([]byte{0xff, 'a'}): false,
	} {
		if got := ValidNewDepartmentName(name); got != want {
			t.Errorf("ValidNewDepartmentName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCreateAndEditDepartment(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			s, _ := newService(t, st)
			ctx := context.Background()

			d, err := s.CreateDepartment(ctx, Department{Name: " 法务部 ", Intro: "合同审核找我们。\r\n\x07第二段"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "法务部" || d.Intro != "合同审核找我们。\n第二段" || d.HasQR {
				t.Fatalf("created %+v", d)
			}
			// Create-once: the same name again is a precondition failure and
			// leaves the first record as it was.
			if _, err := s.CreateDepartment(ctx, Department{Name: "法务部", Intro: "覆盖"}); !errors.Is(err, store.ErrPrecondition) {
				t.Fatalf("duplicate create: %v", err)
			}
			got, etag, err := s.DepartmentForEdit(ctx, "法务部")
			if err != nil {
				t.Fatal(err)
			}
			if got.Intro != "合同审核找我们。\n第二段" || etag == "" {
				t.Fatalf("after duplicate: %+v etag %q", got, etag)
			}
			for _, bad := range []string{"", "法务/合规", strings.Repeat("法", 33), "a\tb"} {
				if _, err := s.CreateDepartment(ctx, Department{Name: bad}); !errors.Is(err, ErrDeptName) {
					t.Errorf("create %q: %v, want ErrDeptName", bad, err)
				}
			}
			if _, err := s.CreateDepartment(ctx, Department{Name: "长介绍部", Intro: strings.Repeat("字", MaxIntroRunes+1)}); !errors.Is(err, ErrDeptIntro) {
				t.Errorf("long intro: %v", err)
			}

			// If-Match updates: the loaded version wins once; a stale or
			// empty version is refused.
			if err := s.UpdateDepartmentIntro(ctx, "法务部", "新的介绍", etag); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateDepartmentIntro(ctx, "法务部", "过期的编辑", etag); !errors.Is(err, store.ErrPrecondition) {
				t.Fatalf("stale update: %v", err)
			}
			if err := s.UpdateDepartmentIntro(ctx, "法务部", "盲写", ""); !errors.Is(err, store.ErrPrecondition) {
				t.Fatalf("blind update: %v", err)
			}
			if err := s.UpdateDepartmentIntro(ctx, "法务部", strings.Repeat("字", MaxIntroRunes+1), etag); !errors.Is(err, ErrDeptIntro) {
				t.Fatalf("long intro update: %v", err)
			}
			if err := s.UpdateDepartmentIntro(ctx, "没有的部门", "x", etag); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("update of a missing department: %v", err)
			}
			cur, etag2, err := s.DepartmentForEdit(ctx, "法务部")
			if err != nil {
				t.Fatal(err)
			}
			if cur.Intro != "新的介绍" || etag2 == etag {
				t.Fatalf("after update: %+v, etag %q (was %q)", cur, etag2, etag)
			}
			if _, _, err := s.DepartmentForEdit(ctx, "没有的部门"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("missing department: %v", err)
			}

			// A QR image uploaded afterwards keeps the intro and shows in the record.
			if err := s.SetDepartmentQR(ctx, "法务部", bytes.NewReader(pngOf(t))); err != nil {
				t.Fatal(err)
			}
			ds, err := s.Departments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Name != "法务部" || ds[0].Intro != "新的介绍" || !ds[0].HasQR {
				t.Fatalf("departments: %+v", ds)
			}
		})
	}
}
