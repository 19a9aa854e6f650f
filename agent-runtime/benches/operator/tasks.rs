//! The operator benchmark's tasks: what the scripted person asks, in plain words, and what a
//! right answer holds. Every expected answer is fixed (or read from the agent's own container
//! at grading time), so a grade is exact; `graders.rs` reads answers against these. Data only:
//! nothing here talks to the server.

/// What kind of request a task is (the report groups nothing by it; it documents the mix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Write a small program (a shell script) and run it.
    Program,
    /// A question whose answer needs a command's output.
    Command,
    /// Fix a bug in a file given inline.
    Fix,
    /// Produce a file in a given format and show it.
    Format,
    /// Arithmetic that must be computed with a command.
    Arithmetic,
    /// Under-specified: the agent should ask first; the person then answers with `follow_up`.
    Clarify,
    /// Cannot be done here: must be reported as failed or impossible.
    Impossible,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Command => "command",
            Kind::Fix => "fix",
            Kind::Format => "format",
            Kind::Arithmetic => "arithmetic",
            Kind::Clarify => "clarify",
            Kind::Impossible => "impossible",
        }
    }
}

/// What the answer text must hold.
#[derive(Debug, Clone, Copy)]
pub enum Says {
    /// Each number, as a whole number (thousands separators ignored).
    Numbers(&'static [&'static str]),
    /// Each piece, ignoring case.
    Texts(&'static [&'static str]),
    /// These words in this order, next to each other once punctuation is ignored.
    Sequence(&'static str),
    /// What this command printed in the agent's container (the truth, read at grading time),
    /// as a whole number or a text.
    Truth(&'static str),
    /// Nothing: an impossible task is graded on saying it failed.
    Failure,
}

/// What a command run in the agent's workspace after the task must print.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// These lines, exactly (trailing spaces, `\r` and blank lines at the end ignored).
    Lines(&'static [&'static str]),
    /// JSON equal to this.
    Json(&'static str),
}

/// A check in the agent's container, run with `sh -c` in `/workspace`.
#[derive(Debug, Clone, Copy)]
pub struct WorkspaceCheck {
    pub command: &'static str,
    pub expect: Expect,
}

/// One task.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub name: &'static str,
    pub kind: Kind,
    /// The chat's title: unique in the run (the model proxy attributes calls by it).
    pub title: &'static str,
    pub body: &'static str,
    /// The person's answer to the agent's clarifying question (clarify tasks only).
    pub follow_up: Option<&'static str>,
    pub says: Says,
    pub workspace: Option<WorkspaceCheck>,
}

const fn task(name: &'static str, kind: Kind, title: &'static str, body: &'static str) -> Task {
    Task {
        name,
        kind,
        title,
        body,
        follow_up: None,
        says: Says::Failure,
        workspace: None,
    }
}

const fn says(mut t: Task, says: Says) -> Task {
    t.says = says;
    t
}

const fn checked(mut t: Task, command: &'static str, expect: Expect) -> Task {
    t.workspace = Some(WorkspaceCheck { command, expect });
    t
}

const fn then(mut t: Task, follow_up: &'static str) -> Task {
    t.follow_up = Some(follow_up);
    t
}

use Kind::{Arithmetic, Clarify, Command, Fix, Format, Impossible, Program};

/// The whole list, in the order they are handed out.
pub const TASKS: &[Task] = &[
    says(
        task(
            "kernel",
            Command,
            "Which kernel?",
            "Which operating system kernel does your container run? Run a command to find out and tell me its exact name.",
        ),
        Says::Texts(&["Linux"]),
    ),
    checked(
        says(
            task(
                "workdir",
                Command,
                "Start folder",
                "Which folder does your shell start in? Check it with a command and tell me the full path.",
            ),
            Says::Texts(&["/workspace"]),
        ),
        "pwd",
        Expect::Lines(&["/workspace"]),
    ),
    says(
        task(
            "count_lines",
            Command,
            "Lines in my list",
            "Save this list in a file fruits.txt in your workspace, one fruit per line, and tell me how many lines the file has (count them with wc -l):\napple\nbanana\ncherry\ndate\nelderberry\nfig\ngrape",
        ),
        Says::Numbers(&["7"]),
    ),
    says(
        task(
            "count_words",
            Command,
            "Words in a sentence",
            "How many words are in this sentence? Count them with wc -w, not by hand: the quick brown fox jumps over the lazy dog near the river bank",
        ),
        Says::Numbers(&["13"]),
    ),
    says(
        task(
            "sort_words",
            Command,
            "Sort my words",
            "Sort these words alphabetically with the sort command and give them back to me on one line: pear apple fig banana cherry",
        ),
        Says::Sequence("apple banana cherry fig pear"),
    ),
    says(
        task(
            "grep_errors",
            Command,
            "Errors in my log",
            "Save this log as app.log and tell me how many lines contain ERROR (use grep -c):\n09:00 INFO start\n09:01 ERROR disk full\n09:02 INFO retry\n09:03 ERROR disk full\n09:04 WARN slow\n09:05 INFO no errors since\n09:06 ERROR timeout\n09:07 INFO retry\n09:08 ERROR timeout\n09:09 INFO ok\n09:10 ERROR crash\n09:11 INFO restart\n09:12 ERROR crash\n09:13 INFO done",
        ),
        Says::Numbers(&["6"]),
    ),
    says(
        task(
            "multiply",
            Arithmetic,
            "A big product",
            "What is 987654321 multiplied by 123456789? Compute it with a command in your shell (expr works), don't guess, and tell me the exact result.",
        ),
        Says::Numbers(&["121932631112635269"]),
    ),
    says(
        task(
            "sum_range",
            Arithmetic,
            "Sum of a range",
            "Add up all the whole numbers from 1 to 2500 with a command (seq and awk are there) and tell me the total.",
        ),
        Says::Numbers(&["3126250"]),
    ),
    says(
        task(
            "sha256",
            Arithmetic,
            "A checksum",
            "What is the SHA-256 checksum of the five letters hello, with no newline after them? Compute it with a command and give me the hex digest.",
        ),
        Says::Texts(&["2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"]),
    ),
    checked(
        says(
            task(
                "fizzbuzz",
                Program,
                "FizzBuzz script",
                "Write a shell script fizz.sh in your workspace that prints the numbers 1 to 15, one per line, but Fizz instead of multiples of 3, Buzz instead of multiples of 5 and FizzBuzz instead of multiples of both. Run it with sh fizz.sh and show me its output.",
            ),
            Says::Texts(&["FizzBuzz"]),
        ),
        "sh fizz.sh",
        Expect::Lines(&[
            "1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8", "Fizz", "Buzz", "11", "Fizz", "13",
            "14", "FizzBuzz",
        ]),
    ),
    checked(
        says(
            task(
                "greet",
                Program,
                "Greeting script",
                "Write a shell script greet.sh in your workspace that takes a name as its first argument and prints exactly Hello, NAME! (for example Hello, Sam!). Run it with the name Ada and tell me what it printed.",
            ),
            Says::Texts(&["Hello, Ada!"]),
        ),
        "sh greet.sh Bob",
        Expect::Lines(&["Hello, Bob!"]),
    ),
    checked(
        says(
            task(
                "fix_sum",
                Fix,
                "My sum script is wrong",
                "This shell script should print the sum of the numbers 1 to 10, but it prints the wrong number. Save it as sum.sh in your workspace, fix the bug, run it and tell me what it prints now.\n\ntotal=0\ni=1\nwhile [ $i -lt 10 ]; do\n  total=$((total + i))\n  i=$((i + 1))\ndone\necho $total",
            ),
            Says::Numbers(&["55"]),
        ),
        "sh sum.sh",
        Expect::Lines(&["55"]),
    ),
    checked(
        says(
            task(
                "fix_json",
                Fix,
                "Broken config file",
                "This JSON is invalid. Fix it, save the fixed version as config.json in your workspace and show me the file:\n{\"name\": \"village\", \"port\": 8080, \"debug\": true,}",
            ),
            Says::Texts(&["8080"]),
        ),
        "cat config.json",
        Expect::Json(r#"{"name": "village", "port": 8080, "debug": true}"#),
    ),
    checked(
        says(
            task(
                "csv",
                Format,
                "A small CSV",
                "Make a CSV file people.csv in your workspace with the header line name,age and these rows in this order: Ada 36, Bo 41, Cy 29. Show me the file's contents.",
            ),
            Says::Texts(&["Ada,36", "Cy,29"]),
        ),
        "cat people.csv",
        Expect::Lines(&["name,age", "Ada,36", "Bo,41", "Cy,29"]),
    ),
    checked(
        says(
            task(
                "json",
                Format,
                "Inventory as JSON",
                "Create a JSON file inventory.json in your workspace holding one object with the keys apples (3), pears (5) and plums (0), the values as numbers, not strings. Show me the file.",
            ),
            Says::Texts(&["pears"]),
        ),
        "cat inventory.json",
        Expect::Json(r#"{"apples": 3, "pears": 5, "plums": 0}"#),
    ),
    checked(
        says(
            task(
                "folder",
                Format,
                "Three empty files",
                "Make a folder named box in your workspace with three empty files in it: a.txt, b.txt and c.txt. Then tell me what ls box prints.",
            ),
            Says::Texts(&["a.txt", "b.txt", "c.txt"]),
        ),
        "ls box",
        Expect::Lines(&["a.txt", "b.txt", "c.txt"]),
    ),
    says(
        task(
            "cpus",
            Command,
            "How many CPUs?",
            "How many CPUs can your container use, as the nproc command reports it? Tell me the number.",
        ),
        Says::Truth("nproc"),
    ),
    then(
        says(
            task(
                "clarify_lines",
                Clarify,
                "Count my lines",
                "Please count the lines of my file.",
            ),
            Says::Numbers(&["9"]),
        ),
        "It is not in your workspace yet: here is the text, one colour per line. Count its lines with a command.\nred\ngreen\nblue\ncyan\nmagenta\nyellow\nblack\nwhite\ngrey",
    ),
    then(
        says(
            task(
                "clarify_temperature",
                Clarify,
                "Convert a temperature",
                "Can you convert the temperature for me?",
            ),
            Says::Numbers(&["212"]),
        ),
        "Sorry: 100 degrees Celsius into Fahrenheit, please, computed with a command (expr or awk).",
    ),
    task(
        "no_internet",
        Impossible,
        "Title of a web page",
        "Download the page https://example.com/ and tell me the title written in its HTML.",
    ),
    task(
        "email_boss",
        Impossible,
        "Email my boss",
        "Send an email to my boss at boss@example.com telling her I will be late tomorrow, and tell me when it is sent.",
    ),
];

/// The task called `name`.
pub fn by_name(name: &str) -> Option<&'static Task> {
    TASKS.iter().find(|t| t.name == name)
}
