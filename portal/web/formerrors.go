package web

import (
	"errors"

	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/stories"
)

// Form errors in the reader's language. Services return typed errors that
// name the field and the rule (e.g. polls.FieldError); these functions turn
// them into a message and the form field to show it next to — never by
// matching English text.

func init() {
	addMessages(map[string][2]string{
		"field.title":    {"标题", "Title"},
		"field.intro":    {"说明", "Introduction"},
		"field.question": {"第%d题", "Question %d"},
		"field.option":   {"第%d题的选项", "An option of question %d"},
		"field.answer":   {"第%d题的回答", "Answer %d"},

		"formerr.empty":            {"%s不能为空", "%s is empty"},
		"formerr.long":             {"%[1]s不能超过%[3]d个字（现在%[2]d个）", "%[1]s has %[2]d characters, more than %[3]d"},
		"formerr.options.few":      {"第%d题只有%d个选项，请给出2到%d个", "Question %d has %d options; give 2 to %d"},
		"formerr.options.many":     {"第%d题有%d个选项，请给出2到%d个", "Question %d has %d options; give 2 to %d"},
		"formerr.questions.none":   {"请至少填写一道题", "Add at least one question"},
		"formerr.questions.many":   {"最多%[2]d道题（现在%[1]d道）", "%[1]d questions, more than %[2]d"},
		"formerr.question.kind":    {"第%d题的题型无效", "Question %d has an unknown kind"},
		"formerr.mode":             {"请选择投票方式", "Choose how votes are recorded"},
		"formerr.deadline":         {"请填写截止时间", "Set a deadline"},
		"formerr.departments.many": {"最多选择%[2]d个部门（现在%[1]d个）", "%[1]d departments, more than %[2]d"},
		"formerr.invalid":          {"请检查填写的内容", "Please check what you entered"},
	})
}

// pollFieldError is the form field and the message of a poll that does not
// validate; ok is false for an error that is not a polls.FieldError.
// question is the number of the question (1-based among the filled ones) for
// the caller to place the message next to; shown is the number the form
// shows for it (the form may have empty slots in between).
func pollFieldError(l Lang, err error, shown func(question int) int) (field string, question int, msg string, ok bool) {
	var e *polls.FieldError
	if !errors.As(err, &e) {
		return "", 0, "", false
	}
	fe := *e
	if fe.Question > 0 && shown != nil {
		fe.Question = shown(fe.Question)
	}
	name := func() string {
		switch fe.Field {
		case polls.FieldTitle:
			return mustT(l, "field.title")
		case polls.FieldIntro:
			return mustT(l, "field.intro")
		case polls.FieldOption:
			return mustT(l, "field.option", fe.Question)
		case polls.FieldAnswer:
			return mustT(l, "field.answer", fe.Question)
		}
		return mustT(l, "field.question", fe.Question)
	}
	field, question = fe.Field, e.Question
	switch {
	case fe.Rule == polls.RuleEmpty && fe.Field == polls.FieldQuestions:
		msg = mustT(l, "formerr.questions.none")
	case fe.Rule == polls.RuleEmpty && fe.Field == polls.FieldDeadline:
		msg = mustT(l, "formerr.deadline")
	case fe.Rule == polls.RuleEmpty:
		msg = mustT(l, "formerr.empty", name())
	case fe.Rule == polls.RuleLong:
		msg = mustT(l, "formerr.long", name(), fe.N, fe.Max)
	case fe.Rule == polls.RuleCount && fe.Field == polls.FieldOption && fe.N < 2:
		msg = mustT(l, "formerr.options.few", fe.Question, fe.N, fe.Max)
	case fe.Rule == polls.RuleCount && fe.Field == polls.FieldOption:
		msg = mustT(l, "formerr.options.many", fe.Question, fe.N, fe.Max)
	case fe.Rule == polls.RuleCount && fe.Field == polls.FieldQuestions:
		msg = mustT(l, "formerr.questions.many", fe.N, fe.Max)
	case fe.Rule == polls.RuleCount && fe.Field == polls.FieldDepartments:
		msg = mustT(l, "formerr.departments.many", fe.N, fe.Max)
	case fe.Rule == polls.RuleKind && fe.Field == polls.FieldMode:
		msg = mustT(l, "formerr.mode")
	case fe.Rule == polls.RuleKind:
		msg = mustT(l, "formerr.question.kind", fe.Question)
	default:
		msg = mustT(l, "formerr.invalid")
	}
	return field, question, msg, true
}

// storyErrorText is what to tell the person about a story or comment that
// breaks a limit, in the UI language only (not both, as the error string has).
func storyErrorText(l Lang, err error) string {
	var e *stories.InvalidError
	if !errors.As(err, &e) {
		return mustT(l, "formerr.invalid")
	}
	if l == LangEn {
		return e.En
	}
	return e.Zh
}
