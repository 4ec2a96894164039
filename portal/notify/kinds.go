package notify

// Kind names what a notification is about.
type Kind string

// The kinds. Adding one: a constant, a line in kinds below, and its texts
// (the portal's catalogue keys notify.kind.<kind> and notify.text.<kind>,
// and a case in pushText for the WeCom card).
const (
	KindStoryComment   Kind = "story.comment"   // someone commented on my story
	KindStoryLike      Kind = "story.like"      // someone liked my story (batched)
	KindStoryModerated Kind = "story.moderated" // my story was hidden, restored or I was warned
	KindCommentReply   Kind = "comment.reply"   // someone replied to my comment
	KindAnnouncement   Kind = "announcement"    // a new announcement for my department
	KindPoll           Kind = "poll"            // a new poll for my department
	KindModQueue       Kind = "modqueue"        // a story waits for a moderator
	KindWeComProblem   Kind = "wecom.problem"   // WeCom refused recipients or a message (admins)

	KindReportNew    Kind = "report.new"    // a front-line report to a department I manage
	KindReportReply  Kind = "report.reply"  // a manager replied to my report
	KindReportStatus Kind = "report.status" // a manager changed my report's status
)

// Channel is how a person wants one kind delivered.
type Channel string

// The channels.
const (
	ChannelPortal Channel = "portal" // the 消息 page only
	ChannelWeCom  Channel = "wecom"  // the 消息 page and a WeCom application message
	ChannelOff    Channel = "off"    // nothing
)

// Channels are the choices, in the order a settings form offers them.
var Channels = []Channel{ChannelWeCom, ChannelPortal, ChannelOff}

// Role says who a kind concerns, for the settings form.
type Role string

// The roles a kind may be limited to.
const (
	RoleAnyone    Role = ""
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// KindInfo describes one kind.
type KindInfo struct {
	Kind Kind
	// Default is the channel of people who did not choose.
	Default Channel
	// Broadcast kinds are addressed to departments (or everyone) and stored
	// once, not per person.
	Broadcast bool
	// Batch folds repeated events about one item into one notification
	// while it is unread (likes: "张三、李四等 5 人赞了你的故事").
	Batch bool
	// Group posts the item to the group robots of its departments too.
	Group bool
	// Role limits who is offered the kind in the settings.
	Role Role
}

var kinds = []KindInfo{
	{Kind: KindStoryComment, Default: ChannelWeCom},
	{Kind: KindCommentReply, Default: ChannelWeCom},
	{Kind: KindStoryLike, Default: ChannelPortal, Batch: true},
	{Kind: KindStoryModerated, Default: ChannelWeCom},
	{Kind: KindAnnouncement, Default: ChannelWeCom, Broadcast: true, Group: true},
	{Kind: KindPoll, Default: ChannelWeCom, Broadcast: true},
	{Kind: KindModQueue, Default: ChannelWeCom, Role: RoleModerator},
	{Kind: KindWeComProblem, Default: ChannelPortal, Role: RoleAdmin},
	{Kind: KindReportNew, Default: ChannelWeCom},
	{Kind: KindReportReply, Default: ChannelWeCom},
	{Kind: KindReportStatus, Default: ChannelWeCom},
}

// Kinds lists every kind, in the order the settings show them.
func Kinds() []KindInfo { return append([]KindInfo(nil), kinds...) }

// Info returns the description of k.
func Info(k Kind) (KindInfo, bool) {
	for _, ki := range kinds {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

// validChannel reports whether c is one of the channels.
func validChannel(c Channel) bool {
	return c == ChannelPortal || c == ChannelWeCom || c == ChannelOff
}
