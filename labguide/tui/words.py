"""The guide's own words, in Japanese and English.

The lab's texts (steps, goals, tips) come from the catalog; these are the
words of the guide around them: labels, keys, hints and messages. Each entry
is `key: (English, Japanese)`; `{names}` are filled in by `say`.
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    # Keys, as the footer and the command palette name them.
    "key.start": ("Start", "開始"),
    "key.language": ("日本語", "English"),
    "key.help": ("Help", "ヘルプ"),
    "key.quit": ("Quit", "終了"),
    "key.perform": ("Do it", "実行"),
    "key.done-by-hand": ("By hand", "手動で済"),
    "key.next-step": ("Next", "次へ"),
    "key.recheck": ("Check", "再確認"),
    "key.confirm-email": ("Confirm e-mail", "メール確認"),
    "key.cancel": ("Cancel", "中止"),
    "key.perform-all": ("Do all", "全部実行"),
    "key.teardown": ("Clean up", "後片付け"),
    "key.session-manager": ("Session Manager", "Session Manager"),
    "key.tab-guide": ("Guide", "解説"),
    "key.tab-parameters": ("Parameters", "パラメータ"),
    "key.tab-do": ("Log", "ログ"),
    "key.tab-checks": ("Checks", "チェック"),
    "key.tab-tips": ("Troubleshooting", "トラブル対応"),
    "key.report": ("Save a report", "レポート保存"),
    "key.back": ("Start screen", "開始画面へ"),
    "key.yes": ("Yes", "はい"),
    "key.no": ("No", "いいえ"),
    "key.close": ("Close", "閉じる"),
    "key.goal-step": ("Open the step", "手順を開く"),
    "key.goal-tip": ("Troubleshoot", "トラブル対応"),
    "key.diagnostics": ("Diagnostics", "診断"),
    "key.delete": ("Delete all", "すべて削除"),
    "key.class-view": ("Class view (instructor)", "クラス全体（講師用）"),
    "key.back-to-lab": ("Back", "戻る"),
    # What each key does (the help screen and the palette).
    "help.start": (
        "Open the lab for the place and participant chosen",
        "選んだ場所と参加者でラボを開く",
    ),
    "help.language": (
        "Switch the guide between Japanese and English",
        "ガイドの言語を日本語と英語で切り替える",
    ),
    "help.help": ("Show the keys and how the guide works", "キー操作と使い方を表示"),
    "help.quit": (
        "Quit labguide (the lab stays as it is)",
        "labguide を終了（ラボはそのまま）",
    ),
    "help.resume": ("Resume this session", "このセッションを再開"),
    "help.perform": (
        "Let labguide perform the step for you (the cleanup step opens the teardown)",
        "この手順を labguide が代わりに実行（後片付けの手順では削除画面を開く）",
    ),
    "help.done-by-hand": (
        "You did the step in the console: the checks decide whether it is done",
        "コンソールで自分で実施した：完了かどうかはチェックが判定",
    ),
    "help.next-step": ("Open the step to do next", "次にやる手順を開く"),
    "help.recheck": (
        "Run the step's checks and the goals again now",
        "手順のチェックとゴールを今すぐ再確認",
    ),
    "help.confirm-email": (
        "Sandbox: confirm the alarm's e-mail subscription, as the e-mail's link does",
        "サンドボックス：メールのリンクを押す代わりに SNS のメール購読を Confirm",
    ),
    "help.cancel": (
        "Stop the work in progress at its next poll",
        "実行中の処理を次の確認のタイミングで止める",
    ),
    "help.perform-all": (
        "Perform every step not done yet (independent ones at the same time)",
        "未完了の手順をすべて実行（依存しないものは並行して）",
    ),
    "help.teardown": (
        "Delete everything the lab created, and prove nothing is left billing",
        "ラボが作ったものをすべて削除し、課金が残っていないことを確認",
    ),
    "help.session-manager": (
        "Open a shell on an instance with Session Manager (no SSH)",
        "Session Manager でインスタンスにログイン（SSH なし）",
    ),
    "help.tab-guide": ("The step's explanation", "手順の解説"),
    "help.tab-parameters": ("The values the step uses", "手順で使う値"),
    "help.tab-do": ("Perform the step, with its live log", "手順の実行とライブログ"),
    "help.tab-checks": ("The step's checks and their evidence", "チェックと根拠"),
    "help.tab-tips": (
        "Troubleshooting, with diagnostics run on an instance",
        "トラブル対応（インスタンスで診断コマンドを実行）",
    ),
    "help.report": (
        "Write the goals and their evidence to a Markdown file",
        "ゴールと根拠を Markdown ファイルに書き出す",
    ),
    "help.back": (
        "Close this session and go back to the start screen",
        "このセッションを閉じて開始画面へ戻る",
    ),
    "help.class-view": (
        "Every participant's steps and goals in this account and region",
        "このアカウント・リージョンの全参加者の手順とゴール",
    ),
    "help.delete": (
        "Delete every resource listed, in order",
        "一覧のリソースを順にすべて削除",
    ),
    "help.back-to-lab": ("Back to the lab", "ラボ画面へ戻る"),
    "help.title": ("Help", "ヘルプ"),
    "help.intro": (
        "labguide walks you through the lab one step at a time. The left column "
        "lists the steps and the seven goals; the right shows the step at hand. "
        "Every key also works from the command palette (Ctrl+P), and the mouse "
        "works everywhere.",
        "labguide はラボを 1 手順ずつ案内します。左に手順と 7 つのゴール、右に"
        "いまの手順が表示されます。どのキー操作もコマンドパレット（Ctrl+P）から"
        "実行でき、マウスも使えます。",
    ),
    "help.lab-keys": ("On the lab screen", "ラボ画面"),
    "help.elsewhere": (
        "Arrow keys move in a list, Tab moves between areas, Enter opens a goal "
        "or presses a button. On the teardown screen, `y` deletes and `Esc` goes "
        "back.",
        "矢印キーでリスト内を移動、Tab で領域を移動、Enter でゴールを開く・"
        "ボタンを押す。削除画面では `y` で削除、`Esc` で戻ります。",
    ),
    "help.start-keys": ("On the start screen", "開始画面"),
    "help.ideas": (
        "## How it works\n\n"
        "- **Do it for me** performs the step in your account (or the sandbox): "
        "it finds what exists first, creates only what is missing, and tags it. "
        "Running a step twice never duplicates anything.\n"
        "- **By hand**: do the step in the AWS console as the article shows, then "
        "press `m`. The checks decide whether it is done.\n"
        "- **Checks** still pending run again by themselves every few seconds; "
        "what they wait for is shown (an ALB becoming active, an e-mail link).\n"
        "- **Safety**: in a real account labguide asks before creating or "
        "deleting anything and shows the account, region and hourly cost. The "
        "running cost stays at the top of the screen.\n"
        "- **Resume**: quit at any time; the next start lists the session and "
        "picks up where it is, checked against what the account holds.",
        "## しくみ\n\n"
        "- **実行**（do it for me）は手順をアカウント（またはサンドボックス）で"
        "実行します。まず既存のものを探し、足りないものだけを作ってタグを付けます。"
        "2 回実行しても重複しません。\n"
        "- **手動で済**：記事のとおりコンソールで作業してから `m` を押します。"
        "完了かどうかはチェックが判定します。\n"
        "- **チェック**は保留中なら数秒ごとに自動で再実行され、何を待っているか"
        "（ALB が active になる、メールのリンクなど）が表示されます。\n"
        "- **安全**：実際のアカウントでは、作成・削除の前にアカウント ID・"
        "リージョン・1 時間あたりの料金を示して確認します。現在の料金の目安は"
        "常に画面上部に出ています。\n"
        "- **再開**：いつ終了しても、次回の開始画面にセッションが並び、"
        "アカウントの実際の状態と照合して続きから再開します。",
    ),
    # The start screen.
    "start.intro": (
        "Choose where the lab runs and who you are, then Start (Ctrl+S).",
        "ラボを動かす場所と参加者名を選んで「開始」（Ctrl+S）。",
    ),
    "start.where-label": ("Where", "実行場所"),
    "start.place-label": ("Profile/Region", "プロファイル/リージョン"),
    "start.identity-label": ("Account", "アカウント"),
    "start.participant-label": ("Participant", "参加者名"),
    "start.email-label": ("Alarm e-mail", "通知メール"),
    "start.language-label": ("Language", "言語"),
    "start.sessions-label": ("Sessions to resume", "再開できるセッション"),
    "start.sandbox": (
        "Sandbox (no AWS account, free)",
        "サンドボックス（AWS 不要・無料）",
    ),
    "start.aws": ("My AWS account", "自分の AWS アカウント"),
    "start.profile-default": ("default credentials", "既定の認証情報"),
    "start.participant-hint": (
        "empty when you learn alone (e.g. ana)",
        "ひとりで学ぶなら空欄（例：ana）",
    ),
    "start.email-hint": (
        "where the 5XX alarm notifies (step 9)",
        "5XX アラームの通知先（手順 9）",
    ),
    "start.start": ("Start", "開始"),
    "start.quit": ("Quit", "終了"),
    "start.bad-participant": (
        "Use 1 to 16 lower-case letters, digits and dashes for the participant.",
        "参加者名は小文字・数字・ハイフンで 1〜16 文字にしてください。",
    ),
    "start.resume": ("Resume: {what}", "再開：{what}"),
    "start.starting-sandbox": (
        "starting the sandbox…",
        "サンドボックスを起動しています…",
    ),
    "start.opening": (
        "Opening the lab: comparing the session with what the account holds…",
        "ラボを開いています：セッションとアカウントの実際の状態を照合中…",
    ),
    "start.connecting": ("asking AWS who you are…", "AWS に認証情報を確認しています…"),
    "start.other-account": (
        "That session belongs to account {expected}, but the profile reaches "
        "account {actual}.",
        "そのセッションはアカウント {expected} のものですが、選んだプロファイルは "
        "{actual} につながります。",
    ),
    "start.other-account-fix": (
        "Choose the profile of that account and resume again.",
        "そのアカウントのプロファイルを選んで、もう一度再開してください。",
    ),
    "start.identity-sandbox": (
        "sandbox account {account} as {caller}; nothing is billed",
        "サンドボックスのアカウント {account}（{caller}）：課金なし",
    ),
    "start.identity": ("{account} as {caller}", "{account}（{caller}）"),
    "start.sandbox-short": ("sandbox", "サンドボックス"),
    "start.solo": ("single learner", "ひとりで学習"),
    "start.session": (
        "{where} · {region} · {who} — {done}/{steps} steps, {passed}/{goals} goals"
        " · {when}",
        "{where} · {region} · {who} — 手順 {done}/{steps}、ゴール {passed}/{goals}"
        " · {when}",
    ),
    "start.no-sessions": ("No session yet.", "まだセッションはありません。"),
    # The lab screen.
    "tab.guide": ("Guide", "解説"),
    "tab.parameters": ("Params", "設定値"),
    "tab.do": ("Do it", "実行"),
    "tab.checks": ("Checks", "チェック"),
    "tab.tips": ("Troubleshoot", "トラブル対応"),
    "lab.steps": ("Steps", "手順"),
    "lab.goals": ("Goals {passed}/{total}", "ゴール {passed}/{total}"),
    "lab.perform": ("Do it for me (d)", "代わりに実行 (d)"),
    "lab.by-hand": ("I did it (m)", "手動で完了 (m)"),
    "lab.perform-all": ("Do all (a)", "全部 (a)"),
    "lab.instance": ("Instance", "インスタンス"),
    "lab.no-instance": ("no instance yet", "インスタンスなし"),
    "lab.find-instances": ("Refresh", "更新"),
    "lab.shell": ("Session Manager (s)", "Session Manager (s)"),
    "lab.command": (
        "Run a command on the instance (Run Command):",
        "インスタンスでコマンドを実行（Run Command）：",
    ),
    "lab.command-hint": (
        "e.g. sudo systemctl start nginx",
        "例：sudo systemctl start nginx",
    ),
    "lab.run-tip": ("Run on the instance", "インスタンスで実行"),
    "lab.where-sandbox": ("Sandbox", "サンドボックス"),
    "lab.where-aws": ("AWS {account}", "AWS {account}"),
    "lab.cost-now": ("now ≈ {now}/h", "現在 ≈ {now}/時"),
    "lab.cost-lab": ("whole lab ≈ {lab}/h", "ラボ全体 ≈ {lab}/時"),
    "lab.nothing-left-to-do": ("Every step is done.", "すべての手順が完了しています。"),
    "lab.by-hand-unconfirmed": (
        "The checks do not confirm it yet: {summary}",
        "チェックではまだ確認できません：{summary}",
    ),
    "lab.by-hand-confirmed": (
        "The checks confirm step {number}.",
        "チェックで手順 {number} を確認しました。",
    ),
    "lab.step-failed": (
        "Step {number} failed: {error}",
        "手順 {number} が失敗：{error}",
    ),
    "lab.steps-done": (
        "{count} step(s) done, {created} resource(s) created.",
        "{count} 手順を完了、{created} 件のリソースを作成しました。",
    ),
    "lab.cancelling": ("Cancelling…", "中止しています…"),
    "lab.cancelled": ("Cancelled.", "中止しました。"),
    "lab.all-steps-done": (
        "Every step is done: watch the goals, then clean up (Shift+T).",
        "すべての手順が完了：ゴールを確認したら後片付け（Shift+T）。",
    ),
    "lab.no-instances": (
        "The Auto Scaling group has no instance yet (step 7).",
        "ASG にまだインスタンスがありません（手順 7）。",
    ),
    "lab.choose-instance": (
        "Choose an instance first; looking for them now.",
        "先にインスタンスを選んでください。いま探しています。",
    ),
    "lab.running-on": (
        "Running on {instance} through Run Command…",
        "{instance} で Run Command 実行中…",
    ),
    "lab.shell-opening": (
        "Session Manager on {instance}; type exit to come back to labguide.",
        "{instance} に Session Manager で接続します。exit で labguide に戻ります。",
    ),
    "lab.shell-closed": (
        "The Session Manager session ended (exit status {code}).",
        "Session Manager のセッションが終了しました（終了コード {code}）。",
    ),
    "lab.email-confirmed": (
        "Confirmed {count} e-mail subscription(s).",
        "{count} 件のメール購読を Confirm しました。",
    ),
    "lab.email-none": (
        "No e-mail subscription was waiting.",
        "確認待ちのメール購読はありません。",
    ),
    "lab.busy": (
        "Work is in progress; cancel it first (x).",
        "処理中です。先に中止してください（x）。",
    ),
    "lab.report-saved": ("Report saved: {path}", "レポートを保存しました：{path}"),
    "lab.open-step": ("Step {number}: {title}", "手順 {number}：{title}"),
    "lab.open-goal": ("Goal: {title}", "ゴール：{title}"),
    "lab.open-tip": ("Tip: {symptom}", "トラブル：{symptom}"),
    "status.not-started": ("not started", "未着手"),
    "status.running": ("running", "実行中"),
    "status.done": ("done", "完了"),
    "status.failed": ("failed", "失敗"),
    "status.drifted": ("changed since", "変更あり"),
    # What to do next.
    "guide.working-one": (
        "Working on it: the log shows each call. x cancels.",
        "実行中：各 API 呼び出しがログに出ます。x で中止。",
    ),
    "guide.working-all": (
        "Working on every step left, the independent ones at once. x cancels.",
        "残りの手順を実行中（依存しないものは並行）。x で中止。",
    ),
    "guide.working-by-hand": (
        "Checking what you did in the console…",
        "コンソールでの作業を確認しています…",
    ),
    "guide.cleanup": (
        "When you are done, delete the lab so nothing keeps billing: press d.",
        "終わったら、課金が続かないようにラボを削除します：d を押してください。",
    ),
    "guide.failed": (
        "This step failed: {error} See Troubleshooting (t), then try again (d).",
        "この手順は失敗しました：{error} トラブル対応（t）を見て、もう一度（d）。",
    ),
    "guide.drifted": (
        "What this step made has changed or gone. Do it again (d) to repair it.",
        "この手順で作ったものが変更・削除されています。もう一度実行（d）で直せます。",
    ),
    "guide.needs": (
        "This step needs step(s) {numbers} first: d does them too, or n opens "
        "the next one.",
        "この手順の前に手順 {numbers} が必要です。d ならそれも実行します"
        "（n で次の手順へ）。",
    ),
    "guide.do-it": (
        "Read the guide, then press d to do it for me, or do it in the console "
        "and press m: the checks decide.",
        "解説を読んだら、d で代わりに実行、またはコンソールで作業して m。"
        "完了かどうかはチェックが判定します。",
    ),
    "guide.done-failing": (
        "Done, but a check fails: {summary}. See Checks (c) and Troubleshooting (t).",
        "完了済みですがチェックが失敗：{summary}。チェック（c）とトラブル対応（t）へ。",
    ),
    "guide.press-e": (
        " In the sandbox, e clicks the e-mail's link.",
        "サンドボックスでは e でメールのリンクを押せます。",
    ),
    "confirm.step": ("Step {number}: {title}", "手順 {number}：{title}"),
    "confirm.needs": (
        ", and the steps it needs first: {numbers}",
        "（先に必要な手順 {numbers} も）",
    ),
    "confirm.steps": (
        "{count} steps left, from step {number}",
        "手順 {number} から残り {count} 手順",
    ),
    "guide.done-pending": (
        "Done; waiting for {what}. The checks re-run by themselves.",
        "完了。{what} を待っています。チェックは自動で再実行されます。",
    ),
    "guide.all-passed": (
        "All seven goals pass. Well done! Clean up when you are finished (Shift+T).",
        "7 つのゴールをすべて達成！終わったら後片付けを（Shift+T）。",
    ),
    "guide.all-done": (
        "Every step is done; the goals are being checked.",
        "すべての手順が完了。ゴールを確認しています。",
    ),
    "guide.done-next": (
        "Done. Next: step {number}, {title} (n).",
        "完了。次は手順 {number}「{title}」（n）。",
    ),
    # Pages.
    "page.knowledge": ("Knowledge points", "知識ポイント"),
    "page.console": ("In the console", "コンソールでの場所"),
    "page.not-in-article": (
        "labguide adds this step; the article does not have it.",
        "この手順は記事にはなく、labguide が追加しています。",
    ),
    "page.no-checks": ("This step has no check.", "この手順にチェックはありません。"),
    "page.checks-later": (
        "The checks run once the step is done (d), or when you say you did it (m).",
        "チェックは手順の実行後（d）、または手動で済ませたとき（m）に実行されます。",
    ),
    "page.waiting": (
        "Waiting for {what} (usually {usually}); re-checked every {seconds} s.",
        "{what} を待っています（通常 {usually}）。{seconds} 秒ごとに再確認します。",
    ),
    "page.waiting-short": (
        "Waiting for {what} (usually {usually}).",
        "{what} を待っています（通常 {usually}）。",
    ),
    "page.condition": ("Failed condition", "満たされない条件"),
    "page.see-tip": ("Troubleshooting", "トラブル対応"),
    "page.cause": ("Likely cause", "考えられる原因"),
    "page.run": ("Run", "実行するコマンド"),
    "page.where-instance": (
        "on the instance, through Run Command: choose it above",
        "インスタンス上で Run Command により実行：上で選択",
    ),
    "page.where-workstation": (
        "in your own terminal, with the AWS CLI",
        "自分の端末で AWS CLI を使って",
    ),
    "page.where-console": ("in the AWS console", "AWS コンソールで"),
    "page.sandbox-cli": (
        "With the sandbox, point the AWS CLI at it: `--endpoint-url {endpoint}`.",
        "サンドボックスでは AWS CLI に `--endpoint-url {endpoint}` を付けます。",
    ),
    "page.expect": ("Good output", "正常なら"),
    "page.fix": ("Fix", "対処"),
    "page.goal-step": (
        "Mostly the work of step {number}.",
        "主に手順 {number} の作業で達成します。",
    ),
    "page.goal-unchecked": (
        "Not checked yet: its step is not done.",
        "まだ確認していません（手順が未完了）。",
    ),
    # Dialogs.
    "confirm.create-title": (
        "Create resources in your AWS account?",
        "AWS アカウントにリソースを作成しますか？",
    ),
    "confirm.delete-title": (
        "Delete the lab from your AWS account?",
        "AWS アカウントからラボを削除しますか？",
    ),
    "confirm.account": ("Account:  {account}", "アカウント：{account}"),
    "confirm.caller": ("Caller:   {caller}", "実行者：　　{caller}"),
    "confirm.region": ("Region:   {region}", "リージョン：{region}"),
    "confirm.profile": ("Profile:  {profile}", "プロファイル：{profile}"),
    "confirm.create-cost": (
        "Cost estimate: now ≈ {now}/h; the whole lab once running ≈ {lab}/h "
        "(≈ {day} a day). Delete it when you are done.",
        "料金の目安：現在 ≈ {now}/時、ラボ全体が動くと ≈ {lab}/時（1 日 ≈ {day}）。"
        "終わったら削除してください。",
    ),
    "confirm.delete-cost": (
        "{count} resource(s) of the lab will be deleted; this stops ≈ {now}/h.",
        "ラボのリソース {count} 件を削除します（≈ {now}/時 が止まります）。",
    ),
    "confirm.create-question": (
        "These calls create real, billed resources.",
        "実際に課金されるリソースが作成されます。",
    ),
    "confirm.delete-question": (
        "Only resources with this lab's tags are touched.",
        "このラボのタグが付いたリソースだけが対象です。",
    ),
    "confirm.yes": ("Yes (y)", "はい (y)"),
    "confirm.no": ("No (n)", "いいえ (n)"),
    "error.title": ("Something needs fixing", "確認が必要です"),
    "error.fix": ("How to fix it:", "対処："),
    "error.close": ("Close", "閉じる"),
    "error.unexpected": (
        "Something went wrong: {error}. The details are in {log}.",
        "予期しないエラー：{error}。詳細は {log} にあります。",
    ),
    "goal.open-step": ("Open the step (s)", "手順を開く (s)"),
    "goal.open-tip": ("Troubleshoot (t)", "トラブル対応 (t)"),
    "instance.title": ("Open Session Manager on…", "Session Manager で接続する先"),
    "instance.hint": (
        "Only instances online in Session Manager can be chosen.",
        "Session Manager で Online のインスタンスだけ選べます。",
    ),
    "shell.title": ("Session Manager", "Session Manager"),
    "shell.sandbox": (
        "The sandbox's instances are simulated: they have no shell to log in to. "
        "Their Run Command answers the troubleshooting commands, though "
        "(`systemctl status nginx`, `ss -lntp`, `curl http://localhost/`, the "
        "cloud-init logs), exactly as a real instance would.",
        "サンドボックスのインスタンスはシミュレーションなので、ログインできるシェルは"
        "ありません。ただし Run Command はトラブル対応のコマンド（`systemctl status "
        "nginx`、`ss -lntp`、`curl http://localhost/`、cloud-init のログ）に"
        "実物と同じように答えます。",
    ),
    "shell.sandbox-diagnostics": (
        "Open the diagnostics, choose an instance, and run a tip's commands on it.",
        "診断を開き、インスタンスを選んで、トラブル対応のコマンドを実行してください。",
    ),
    "shell.web": (
        "The guide cannot hand its terminal over from here (a browser, or a "
        "terminal that cannot be suspended): run the command in another terminal.",
        "ここ（ブラウザ、または一時停止できない端末）からは端末を引き渡せません。"
        "別の端末でコマンドを実行してください。",
    ),
    "shell.missing-aws": (
        "The AWS CLI is not installed: see "
        "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
        "AWS CLI がインストールされていません："
        "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
    ),
    "shell.missing-session-manager-plugin": (
        "The Session Manager plugin for the AWS CLI is not installed: see "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "session-manager-working-with-install-plugin.html",
        "AWS CLI の Session Manager プラグインがインストールされていません："
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "session-manager-working-with-install-plugin.html",
    ),
    "shell.then": (
        "Then, in a terminal:",
        "インストール後、端末で次を実行します：",
    ),
    "shell.diagnostics": (
        "Meanwhile the troubleshooting tab runs the diagnostics on an instance "
        "through Run Command, with no shell needed.",
        "それまでの間も、トラブル対応タブから Run Command で診断コマンドを実行"
        "できます（シェル不要）。",
    ),
    "shell.open-diagnostics": ("Open the diagnostics (d)", "診断を開く (d)"),
    # The teardown screen.
    "teardown.title": ("Clean up", "後片付け"),
    "teardown.finding": (
        "Finding the lab's resources by their tags and names…",
        "タグと名前でラボのリソースを探しています…",
    ),
    "teardown.intro": (
        "{count} resource(s) of the lab in {where}, {region}, will be deleted in "
        "this order (what depends on a thing goes first). They cost ≈ {now}/h now. "
        "Press y to delete them all.",
        "{where}（{region}）のラボのリソース {count} 件を、この順に削除します"
        "（依存するものから先に）。現在 ≈ {now}/時。y ですべて削除します。",
    ),
    "teardown.deleting": (
        "Deleting {count} resource(s)… x cancels.",
        "{count} 件を削除しています… x で中止。",
    ),
    "teardown.empty": (
        "Nothing of the lab exists: nothing to delete.",
        "ラボのリソースはありません。削除するものはありません。",
    ),
    "teardown.done": ("The teardown has finished.", "削除が終わりました。"),
    "teardown.clean": (
        "✔ Deleted {count} resource(s). Nothing of the lab is left billing.",
        "✔ {count} 件を削除しました。課金されるものは何も残っていません。",
    ),
    "teardown.not-clean": (
        "✘ Deleted {count} resource(s), but some are left:",
        "✘ {count} 件を削除しましたが、残っているものがあります：",
    ),
    "teardown.again": (
        "Wait a few minutes and clean up again (Esc, then Shift+T).",
        "数分待ってから、もう一度後片付けしてください（Esc のあと Shift+T）。",
    ),
}


def has_word(key: str) -> bool:
    """Whether the guide has words for `key`."""
    return key in WORDS


def say(key: str, language: str, **values: object) -> str:
    """The words for `key` in `language` (`ja` or `en`), filled in.

    A missing key shows as itself, so that a slip is visible, not fatal.
    """
    english, japanese = WORDS.get(key, (key, key))
    text = japanese if language == "ja" else english
    return text.format(**values) if values else text
