package fakelever

// Word lists for realistic synthetic records.

var firstNames = []string{"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Priya", "Mateo", "Chloe", "Kenji",
	"Amara", "Lucas", "Sofia", "Omar", "Hana", "Diego", "Elena", "Tariq", "Grace", "Jonas",
	"Leila", "Marcus", "Nadia", "Oscar", "Ingrid", "Rafael", "Sara", "Theo", "Yara", "Wei",
	"Fatima", "Aiden", "Beatriz", "Chidi", "Daria", "Emeka", "Freya", "Gustavo", "Isla", "Jamal"}

var lastNames = []string{"Nguyen", "Okafor", "Schmidt", "García", "Kowalski", "Tanaka", "Patel", "O'Brien", "Haddad", "Johansson",
	"Rossi", "Kim", "Müller", "Silva", "Andersen", "Mensah", "Dubois", "Novak", "Ivanova", "Chen",
	"Fernández", "Walsh", "Yilmaz", "Costa", "Lindqvist", "Abara", "Reyes", "Sato", "Khan", "Moreau",
	"Brennan", "Dlamini", "Fischer", "Horvath", "Larsen", "Mahmoud", "Petrov", "Quinn", "Sokolov", "Zhang"}

var companies = []string{"Northwind", "Globex", "Initech", "Umbrella Health", "Stark Analytics", "Hooli", "Pied Piper",
	"Acme Robotics", "Vandelay Industries", "Wayne Logistics", "Soylent Foods", "Tyrell Systems", "Cyberdyne", "Wonka Labs"}

var jobTitles = []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Product Manager",
	"Product Designer", "Data Scientist", "Data Engineer", "Site Reliability Engineer", "Engineering Manager",
	"Account Executive", "Customer Success Manager", "Recruiter", "Financial Analyst", "Marketing Manager",
	"Security Engineer", "QA Engineer", "Solutions Architect", "Technical Writer", "Sales Development Representative",
	"People Operations Partner"}

var cities = []string{"San Francisco, CA", "New York, NY", "Austin, TX", "Seattle, WA", "Toronto, ON", "London, UK",
	"Berlin, Germany", "Dublin, Ireland", "Remote", "Chicago, IL", "Boston, MA", "Denver, CO", "Amsterdam, NL", "Lisbon, Portugal"}

var countries = []string{"US", "US", "US", "US", "CA", "GB", "DE", "IE", "US", "US", "US", "US", "NL", "PT"}

var teams = []string{"Platform", "Payments", "Growth", "Infrastructure", "Mobile", "Data", "Security", "Sales", "Marketing", "Finance", "People"}

var departments = []string{"Engineering", "Engineering", "Engineering", "Engineering", "Engineering", "Engineering", "Engineering", "Go To Market", "Go To Market", "G&A", "G&A"}

var commitments = []string{"Full-time", "Full-time", "Full-time", "Part-time", "Contract", "Internship"}

var levels = []string{"Junior", "Mid", "Senior", "Staff", "Principal", ""}

var workplaceTypes = []string{"onsite", "remote", "hybrid", "unspecified", "on-site"}

var origins = []struct {
	name   string
	weight int
}{{"applied", 45}, {"sourced", 25}, {"referred", 12}, {"university", 7}, {"agency", 6}, {"internal", 5}}

var sourceNames = []string{"LinkedIn", "Indeed", "Company website", "Referral", "Glassdoor", "AngelList", "Agency: TalentBridge",
	"University career fair", "Internal transfer", "GitHub", "Hacker News", "Stack Overflow Jobs"}

var tagNames = []string{"Python", "Go", "Java", "React", "Kubernetes", "Leadership", "Remote OK", "Visa sponsorship",
	"Silver medalist", "Diversity pipeline", "Bilingual", "Rehire eligible", "Fast track", "Do not contact", "Boomerang"}

var accessRoles = []string{"admin", "team member", "team member", "limited team member", "interviewer", "interviewer"}

var stageNames = []string{"Recruiter screen", "Phone interview", "On-site interview", "Reference check"}

var archiveReasonDefs = []struct {
	text, status, typ string
}{
	{"Hired", "active", "hired"},
	{"Underqualified", "active", "non-hired"},
	{"Unresponsive", "active", "non-hired"},
	{"Timing", "active", "non-hired"},
	{"Withdrew", "active", "non-hired"},
	{"Position closed", "active", "non-hired"},
	{"Went with another candidate", "active", "non-hired"},
	{"Overqualified", "inactive", "non-hired"},
}

var postingStates = []string{"published", "internal", "closed", "draft", "pending", "rejected"}

var noteTexts = []string{"Strong systems background; keep warm for the platform role.",
	"Great conversation about distributed tracing. Move to on-site.",
	"Salary expectations above band; discuss with hiring manager.",
	"Prefers remote. Available from next month.",
	"Referred by a former colleague; very positive reference."}
