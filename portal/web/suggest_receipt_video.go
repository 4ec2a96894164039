package web

import (
	"context"
	"errors"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/suggest"
)

// receiptVideo is what the submitter of a suggestion sees of its video on
// the receipt follow-up: that one was attached and whether it has been
// processed. It carries no URL and no job id: the submitter never fetches
// the video (there is no anonymous media route), so nothing on the page, in
// the browser's cache or in a server log ties the code to the media
// objects; the state is only what the code already grants, the
// suggestion's own record.
type receiptVideo struct {
	State  string // processing, done, failed, gone
	Reason string // why it failed, in the page's language
}

// suggestReceiptVideo reads the state of a suggestion's video for the
// submitter; nil when it has none.
func (s *server) suggestReceiptVideo(ctx context.Context, l Lang, sg *suggest.Suggestion) (*receiptVideo, error) {
	if sg == nil || sg.Video == "" || s.media == nil {
		return nil, nil
	}
	j, err := s.media.Job(ctx, sg.Video)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &receiptVideo{State: "gone"}, nil
	case err != nil:
		return nil, err
	case j.Done():
		return &receiptVideo{State: "done"}, nil
	case j.Failed():
		rv := &receiptVideo{State: "failed", Reason: j.ReasonZh}
		if l == LangEn {
			rv.Reason = j.ReasonEn
		}
		return rv, nil
	}
	return &receiptVideo{State: "processing"}, nil
}

var receiptVideoMessages = map[string][2]string{
	"suggest.receipt.video":            {"附带了一段视频：它正在重新编码，手机型号、位置等信息不会保留。之后用回执码可以查看是否处理完成。", "A video is attached: it is being re-encoded, and nothing of the phone (model, location) is kept. Look it up later with the receipt code to see whether it was processed."},
	"suggest.video.state":              {"附带的视频：", "Attached video: "},
	"suggest.video.state.processing":   {"处理中（正在重新编码）", "processing (being re-encoded)"},
	"suggest.video.state.done":         {"已处理，处理团队可以观看", "processed; the handling team can watch it"},
	"suggest.video.state.failed":       {"处理失败：%s", "could not be processed: %s"},
	"suggest.video.state.gone":         {"已删除", "removed"},
	"suggest.video.state.failed.again": {"可以用下面的留言补充说明。", "You can add what it showed in a message below."},
}

func init() { addMessages(receiptVideoMessages) }
