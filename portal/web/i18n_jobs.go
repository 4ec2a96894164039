package web

// jobMessages are the catalogue entries of the background-job section of
// the admin health page.
var jobMessages = map[string][2]string{
	"health.jobs.title":    {"后台任务", "Background jobs"},
	"health.jobs.intro":    {"每个任务在所有门户进程中只由一个进程运行（通过存储中的租约）；这里是最近一次运行，不论哪个进程。", "Each job runs in one portal process at a time, across all of them (through a lease in the store); this is its last run, by whichever process."},
	"health.jobs.empty":    {"没有后台任务。", "No background jobs."},
	"health.jobs.job":      {"任务", "Job"},
	"health.jobs.every":    {"周期", "Every"},
	"health.jobs.start":    {"最近开始", "Last started"},
	"health.jobs.took":     {"用时", "Took"},
	"health.jobs.result":   {"结果", "Result"},
	"health.jobs.holder":   {"进程", "Process"},
	"health.jobs.never":    {"尚未运行", "Not run yet"},
	"health.jobs.ok":       {"成功", "OK"},
	"health.jobs.failed":   {"失败：", "Failed: "},
	"health.jobs.onDemand": {"按需", "On demand"},
	"health.jobs.local":    {"（每个进程）", "(each process)"},
}

func init() { addMessages(jobMessages) }
