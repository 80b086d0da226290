//! Every problem detail the server writes, in English as the code writes it and in Simplified
//! Chinese. In the English text `{}` stands for a value the code fills in (a field, a number, a
//! name); the Chinese text places those values by position, `{0}` for the first. A value that
//! is itself a sentence of this list (a refusal inside "…; nothing was drawn") is translated
//! too. Grouped by the part of the server that writes them; keep a new problem's text here.

pub(super) const CATALOGUE: &[(&str, &str)] = &[
    // Requests and bodies (web, http).
    ("no such resource", "没有这个资源"),
    ("the query string could not be read", "无法读取查询字符串"),
    (
        "paths and query strings may not contain a NUL byte (%00)",
        "路径和查询字符串不能包含 NUL 字节（%00）",
    ),
    (
        "the request did not complete within {} s",
        "请求未能在 {0} 秒内完成",
    ),
    (
        "the request body exceeds the limit of {} bytes",
        "提交的内容超过 {0} 字节的上限",
    ),
    (
        "the request body must be sent as Content-Type: application/json",
        "提交的内容须以 Content-Type: application/json 发送",
    ),
    ("the request body could not be read", "无法读取提交的内容"),
    (
        "the key module (HSM) is unavailable, so nothing was done; try again once the operator has restored it",
        "密码模块（HSM）不可用，本次操作未执行；请待运维人员恢复后重试",
    ),
    (
        "the server could not complete the request; quote the request id to the operator",
        "服务器未能完成请求；请向运维人员提供请求编号",
    ),
    (
        "the server could not complete the request; retry with the same id",
        "服务器未能完成请求；请用同一请求编号重试",
    ),
    (
        "the database is not reachable; retry shortly",
        "数据库暂时无法连接，请稍后重试",
    ),
    (
        "no synchronous standby holds the log's newest entries yet, so no checkpoint was signed; retry shortly",
        "同步备库尚未保存日志的最新条目，本次未签署检查点；请稍后重试",
    ),
    (
        "a record with the same {} already exists",
        "已存在相同{0}的记录",
    ),
    (
        "randomness is unavailable; retry shortly",
        "随机数暂不可用，请稍后重试",
    ),
    (
        "may not contain the NUL character (\\u0000)",
        "不能包含 NUL 字符（\\u0000）",
    ),
    ("must be hex digits", "须为十六进制数字"),
    ("must not be negative", "不能为负数"),
    ("must be a non-negative integer", "须为非负整数"),
    ("must not exceed new", "不能大于 new"),
    ("not a tile path: {}", "不是瓦片路径：{0}"),
    (
        "must be an RFC 3339 time such as 2026-11-26T09:00:00+08:00",
        "须为 RFC 3339 时间，例如 2026-11-26T09:00:00+08:00",
    ),
    (
        "this page's origin may not open session websockets",
        "此页面来源不能连接评标会议",
    ),
    ("{} at line {} column {}", "{0}（第 {1} 行第 {2} 列）"),
    (
        "invalid type: {}, expected {}",
        "类型不对：收到 {0}，应为 {1}",
    ),
    (
        "invalid value: {}, expected {}",
        "取值不对：收到 {0}，应为 {1}",
    ),
    ("invalid length {}, expected {}", "长度不对：{0}，应为 {1}"),
    (
        "unknown field `{}`, expected one of {}",
        "未知字段 `{0}`，可用字段：{1}",
    ),
    (
        "unknown field `{}`, expected `{}`",
        "未知字段 `{0}`，应为 `{1}`",
    ),
    (
        "unknown field `{}`, there are no fields",
        "未知字段 `{0}`：此处不接受任何字段",
    ),
    (
        "unknown variant `{}`, expected one of {}",
        "未知取值 `{0}`，可选：{1}",
    ),
    (
        "unknown variant `{}`, expected `{}`",
        "未知取值 `{0}`，应为 `{1}`",
    ),
    ("missing field `{}`", "缺少字段 `{0}`"),
    ("duplicate field `{}`", "字段 `{0}` 重复"),
    ("EOF while parsing a value", "内容不完整"),
    ("EOF while parsing an object", "对象不完整"),
    ("EOF while parsing a list", "数组不完整"),
    ("EOF while parsing a string", "字符串不完整"),
    ("expected value", "此处应为一个值"),
    ("trailing characters", "末尾有多余字符"),
    ("trailing comma", "末尾有多余的逗号"),
    ("key must be a string", "键须为字符串"),
    ("invalid number", "数字无效"),
    ("number out of range", "数字超出范围"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "字符串中含有控制字符",
    ),
    ("invalid escape", "转义字符无效"),
    ("invalid unicode code point", "Unicode 码位无效"),
    ("expected `,` or `}`", "此处应为 `,` 或 `}`"),
    ("expected `,` or `]`", "此处应为 `,` 或 `]`"),
    ("expected `:`", "此处应为 `:`"),
    ("expected ident", "此处应为关键字"),
    ("no such console file", "找不到该控制台文件"),
    ("invalid digit found in string", "字符串中有无效的数字"),
    ("cannot parse integer from empty string", "整数不能为空"),
    ("the store did not answer in time", "数据库未能及时响应"),
    ("the store cannot take writes", "数据库暂时不能写入"),
    // The audit log's reads (audit).
    ("no audit entry at index {}", "没有序号为 {0} 的审计记录"),
    (
        "need old ≤ new ≤ {} (the latest checkpoint's size)",
        "须满足 old ≤ new ≤ {0}（最新检查点的大小）",
    ),
    (
        "{} reaches past the latest checkpoint (size {})",
        "{0} 超出最新检查点（大小 {1}）",
    ),
    // Text a person typed (text.rs).
    ("must not contain U+{} ({})", "不能包含字符 U+{0}（{1}）"),
    ("a control character", "控制字符"),
    (
        "a character that changes the direction of text",
        "改变文字方向的字符",
    ),
    ("a line or paragraph separator", "行或段落分隔符"),
    ("an invisible character", "不可见字符"),
    ("must be {} to {} characters", "须为 {0} 至 {1} 个字符"),
    ("must be 1 to {} characters", "须为 1 至 {0} 个字符"),
    ("must not be empty", "不能为空"),
    ("must be at most {} characters", "最多 {0} 个字符"),
    ("must be at least {} characters", "至少 {0} 个字符"),
    ("must be at most {} bytes", "最多 {0} 字节"),
    ("must be {} to {} bytes", "须为 {0} 至 {1} 字节"),
    ("is required", "必填"),
    ("is out of range", "超出范围"),
    ("must be from 1 to {}", "须在 1 至 {0} 之间"),
    ("must be from 0 to {}", "须在 0 至 {0} 之间"),
    (
        "must be a whole number from {} to {}",
        "须为 {0} 至 {1} 之间的整数",
    ),
    ("must be one of {}", "须为以下之一：{0}"),
    ("must be in the future", "须为将来的时间"),
    // Logins and accounts (auth).
    (
        "username, password or one-time code is not correct",
        "用户名、密码或动态验证码不正确",
    ),
    (
        "send a bearer token in the Authorization header",
        "请在 Authorization 请求头中发送令牌",
    ),
    (
        "the Authorization header must be \"Bearer <token>\"",
        "Authorization 请求头须为 \"Bearer <令牌>\"",
    ),
    (
        "the token has expired or been revoked; log in again",
        "登录已过期或已被撤销，请重新登录",
    ),
    (
        "the client certificate is not registered to an active center account",
        "客户端证书未登记到任何启用的交易中心账户",
    ),
    ("your role may not do this", "您的角色无权进行此操作"),
    (
        "too many attempts; retry after {} s",
        "尝试次数过多，请 {0} 秒后重试",
    ),
    (
        "an admin cannot disable their own account; another admin must do it",
        "管理员不能停用自己的账户，须由另一位管理员停用",
    ),
    (
        "this is the last enabled admin account; enable or create another admin first",
        "这是最后一个启用的管理员账户；请先启用或创建另一个管理员",
    ),
    ("an account named {} already exists", "已有名为 {0} 的账户"),
    ("no account named {}", "没有名为 {0} 的账户"),
    ("must be a six-digit code", "须为六位数字验证码"),
    ("is not an activation code", "不是有效的激活码"),
    (
        "password must have at least {} characters",
        "密码至少须有 {0} 个字符",
    ),
    ("password must be at most {} bytes", "密码最多 {0} 字节"),
    (
        "password must not contain the username",
        "密码不能包含用户名",
    ),
    (
        "password is one of the most commonly used passwords; choose another",
        "这是最常用的密码之一，请另选一个",
    ),
    (
        "password must not be made by repeating or counting characters (like aaaaaaaaaaaa, abcabcabcabc or 123456789abc)",
        "密码不能由重复或连续的字符组成（如 aaaaaaaaaaaa、abcabcabcabc 或 123456789abc）",
    ),
    (
        "must be a six-digit administrative division code such as 420100",
        "须为六位行政区划代码，例如 420100",
    ),
    (
        "a center account needs a center name and a region code",
        "交易中心账户须填写中心名称和行政区划代码",
    ),
    (
        "only center accounts have a center name and region",
        "只有交易中心账户有中心名称和地区",
    ),
    (
        "only a center account has a center name and region",
        "只有交易中心账户有中心名称和地区",
    ),
    (
        "only a supervisor has a jurisdiction",
        "只有监督人员账户有监管范围",
    ),
    (
        "the account is disabled: enable it first",
        "该账户已停用，请先启用",
    ),
    ("account {} is not valid", "账户{0}无效"),
    (
        "must be 3 to {} characters of letters, digits, '.', '_' or '-'",
        "须为 3 至 {0} 个字母、数字、“.”、“_”或“-”",
    ),
    (
        "activation codes are for expert logins; other accounts get a new password from an admin",
        "激活码只用于专家登录；其他账户请由管理员重设密码",
    ),
    ("at most 64 regions", "最多 64 个地区"),
    ("at most 32 industries", "最多 32 个行业"),
    (
        "{} is not an industry department code (GET /api/v1/industries lists them)",
        "{0} 不是行业主管部门代码（GET /api/v1/industries 列出可用代码）",
    ),
    (
        "is not an industry department code (GET /api/v1/industries lists them)",
        "不是行业主管部门代码（GET /api/v1/industries 列出可用代码）",
    ),
    (
        "{} is not a region code of Hubei's list (GB/T 2260: a prefecture's such as 420600, or a county's such as 420626)",
        "{0} 不在湖北省行政区划代码表中（GB/T 2260：市级如 420600，县级如 420626）",
    ),
    (
        "{} is neither a prefecture of Hubei's list (its prefix such as 4206 or its code such as 420600) nor one of its counties (such as 420626); leave the regions empty for the whole province",
        "{0} 既不是湖北省的市（前缀如 4206 或代码如 420600），也不是其下的县（如 420626）；全省范围请留空",
    ),
    // Draws (draw).
    ("no such draw", "找不到该抽取"),
    (
        "one stratum sits at the main venue (主场), one of your own venues named by venue_id; another center's venue is a sub-venue (副场), and only a sub-venue is chosen at random",
        "一个分组在主场（本中心的场地，用 venue_id 指定）；其他中心的场地是副场，只有副场可以随机选择",
    ),
    (
        "must be at least {} (this deployment's floor, 招标投标法 §37): a stratum may only tighten it",
        "至少为 {0}（本系统的下限，招标投标法第三十七条）：分组只能提高要求",
    ),
    (
        "must be 1 (中级), 2 (副高级) or 3 (正高级)",
        "须为 1（中级）、2（副高级）或 3（正高级）",
    ),
    (
        "{} is not a county-level division code of Hubei (GB/T 2260, e.g. 420117 新洲区)",
        "{0} 不是湖北省的县级行政区划代码（GB/T 2260，例如 420117 新洲区）",
    ),
    (
        "the committee list stays confidential until the evaluation has closed (招标投标法 §37); {}",
        "评标结束前评标委员会名单保密（招标投标法第三十七条）；{0}",
    ),
    ("no such expert", "找不到该专家"),
    ("is not a draw id", "不是抽取编号"),
    (
        "must be written in capitals, e.g. A01",
        "须用大写字母，例如 A01",
    ),
    ("is not in the specialty classification", "不在专业分类中"),
    (
        "{} is not in the specialty classification",
        "{0} 不在专业分类中",
    ),
    ("at most {} organisations", "最多 {0} 个单位"),
    ("at most {} tokens", "最多 {0} 个标识"),
    (
        "must be a region code prefix of 2, 4 or 6 digits, e.g. 42 or 4201",
        "须为 2、4 或 6 位行政区划代码前缀，例如 42 或 4201",
    ),
    ("at most {} region prefixes", "最多 {0} 个地区前缀"),
    (
        "a cross-site draw needs the project's region (4 or 6 digits)",
        "跨地区远程评标的抽取须填写项目所在地区（4 或 6 位）",
    ),
    (
        "must name a city or county (4 or 6 digits), not the whole province",
        "须为一个市或县（4 或 6 位），不能是全省",
    ),
    ("more floors than strata", "下限数多于分组数"),
    ("must be at most 70 years", "最多 70 年"),
    (
        "a distributed evaluation has no venue: every expert sits at their own seat",
        "分散评标没有评标场地：每位专家在各自席位评标",
    ),
    (
        "a distributed evaluation has no venues: every expert sits at their own seat",
        "分散评标没有评标场地：每位专家在各自席位评标",
    ),
    (
        "where the committee reports (the main venue) is needed unless distributed",
        "须填写评标委员会报到地点（主场），分散评标除外",
    ),
    (
        "must be from 30 to 10080 (one week)",
        "须在 30 至 10080（一周）之间",
    ),
    ("must hold 1 to {} strata", "须有 1 至 {0} 个分组"),
    (
        "must hold 1 to 32 specialty codes",
        "须有 1 至 32 个专业代码",
    ),
    (
        "requires only regions outside the prefecture of the stratum's venue: with venue_scope \"prefecture\" the venue's prefecture applies too (use \"province\" to draw from elsewhere)",
        "所要求的地区都在该分组场地所在市之外：venue_scope 为 \"prefecture\" 时同时限于场地所在市（要从其他地区抽取请用 \"province\"）",
    ),
    (
        "requires only regions outside the draw's regions_require: a stratum's region rule applies with the draw's and can only narrow it",
        "所要求的地区都在抽取的 regions_require 之外：分组的地区规则与抽取的规则同时适用，只能缩小范围",
    ),
    (
        "no expert under stratum {}'s specialties is in a region it requires: the rule would draw nobody",
        "分组 {0} 的专业下没有专家在其要求的地区：按此规则抽不到任何人",
    ),
    (
        "every expert under stratum {}'s specialties in the regions it requires is in a region it excludes ({}): the rule would draw nobody",
        "分组 {0} 的专业在其要求的地区内的专家都在其排除的地区（{1}）：按此规则抽不到任何人",
    ),
    (
        "applies to a stratum bound to a named venue: name its venue_id",
        "只适用于指定场地的分组：请填写其 venue_id",
    ),
    (
        "name the stratum's venue (venue_id) or have it chosen at random (venue_random), not both",
        "指定分组场地（venue_id）或随机选择（venue_random），不能同时填写",
    ),
    (
        "bind every stratum to a venue or none: in a draw bound to venues each expert sits at their stratum's venue (venue_scope \"province\" draws from the whole province)",
        "要么每个分组都指定场地，要么都不指定：指定场地的抽取中每位专家在其分组的场地评标（venue_scope 为 \"province\" 时从全省抽取）",
    ),
    (
        "name the regions (e.g. 4205) the sub-venue is chosen in",
        "请填写随机选择副场的地区（例如 4205）",
    ),
    (
        "{} is a second venue of {}: a draw's venues are one per center",
        "{0} 是 {1} 的第二个场地：一次抽取每个交易中心只能有一个场地",
    ),
    (
        "county: experts' regions are recorded by prefecture (e.g. 420600), so a county's code admits none of them; use prefecture (the default) or province",
        "county：专家地区按市登记（例如 420600），县级代码匹配不到任何专家；请用 prefecture（默认）或 province",
    ),
    (
        "no open, remote-capable venue of another center in these regions has {} free workstations from {} to {} (Beijing time)",
        "这些地区内没有其他交易中心的、开放且支持远程评标的场地在 {1} 至 {2}（北京时间）有 {0} 个空闲工位",
    ),
    (
        "{} venues qualify and every one is asked before the draw executes: name fewer regions (at most {} venues)",
        "有 {0} 个场地符合条件，抽取前须逐一征询：请减少地区（最多 {1} 个场地）",
    ),
    (
        "a center of these regions also has rooms among stratum {}'s candidates: strata chosen at random choose in regions of different centers",
        "这些地区的某个交易中心的场地也在分组 {0} 的候选中：随机选择场地的分组须在不同交易中心的地区中选择",
    ),
    ("the evaluation window has no length", "评标时间段长度为零"),
    (
        "a stratum's region rule shares no region with the draw's",
        "分组的地区规则与抽取的地区规则没有共同地区",
    ),
    (
        "the evaluation must start at least {} minutes after the draw (no earlier than {}, Beijing time)",
        "评标开始时间须在抽取后至少 {0} 分钟（不早于北京时间 {1}）",
    ),
    (
        "a draw is accepted at most {} hours before the evaluation starts (no later than {}, Beijing time)",
        "抽取最早在评标开始前 {0} 小时受理（不晚于北京时间 {1}）",
    ),
    (
        "is not a drawn or reserve token of one of your draws",
        "不是您的抽取中的入选或候补标识",
    ),
    (
        "must be a short lowercase code such as bid_rigging or absence",
        "须为简短的小写代码，例如 bid_rigging 或 absence",
    ),
    (
        "this tender (reference and lot) already has its draw, {}: a tender is drawn once; vacated seats are filled from its reserves and linked draws",
        "该项目（编号和标段）已有抽取 {0}：一个项目只抽取一次；空缺席位由其候补和关联抽取补足",
    ),
    (
        "this tender (reference and lot) already has its draw, made by another trading center: a tender is drawn once",
        "该项目（编号和标段）已由另一个交易中心抽取：一个项目只抽取一次",
    ),
    (
        "the tender (reference and lot) already has its draw (nothing drawn)",
        "该项目（编号和标段）已有抽取（未进行抽取）",
    ),
    (
        "the draw is void: a sub-venue refused before it executed; its tender may be drawn anew",
        "该抽取已作废：执行前有副场拒绝；该项目可以重新抽取",
    ),
    ("{}; nothing was drawn", "{0}；未进行抽取"),
    (
        "stratum {}: {} eligible, fewer than {} × (k {} + m {}) = {}",
        "分组 {0}：符合条件 {1} 人，少于 {2} ×（k {3} + m {4}）= {5}",
    ),
    (
        "stratum {}: {} eligible, of whom {} are also eligible in earlier strata that take up to {}; fewer than k + m = {} might remain",
        "分组 {0}：符合条件 {1} 人，其中 {2} 人在前面的分组中也符合条件（前面最多取 {3} 人）；剩余可能少于 k + m = {4}",
    ),
    (
        "this account has already contributed to the draw",
        "该账户已为此抽取贡献过随机数",
    ),
    (
        "the draw no longer accepts contributions: its result has been drawn",
        "抽取结果已产生，不再接受随机数贡献",
    ),
    ("the draw has no result yet", "该抽取尚无结果"),
    (
        "token {} is not a seated member of this draw",
        "标识 {0} 不是本次抽取的在席成员",
    ),
    (
        "token {} is not a confirmed member: only a confirmed member recuses or withdraws",
        "标识 {0} 不是已确认的成员：只有已确认的成员才能回避或退出",
    ),
    (
        "the evaluation is over; its committee can no longer change",
        "评标已结束，评标委员会不能再变更",
    ),
    (
        "the linked draw for this seat has already been started",
        "该席位的关联抽取已经开始",
    ),
    (
        "another linked draw of this family is being drawn; this seat's draw follows it",
        "同一组的另一个关联抽取正在进行；该席位的抽取随后进行",
    ),
    (
        "must be one of {} (declines and missed deadlines are recorded from the experts' own answers)",
        "须为以下之一：{0}（拒绝和逾期未答复以专家本人的答复为准记录）",
    ),
    (
        "refused: too few eligible experts remain (see the draw.link_refused audit entry)",
        "未能抽取：剩余符合条件的专家不足（见审计记录 draw.link_refused）",
    ),
    ("must be from 1 to 3660", "须在 1 至 3660 之间"),
    (
        "must be {} to {} random bytes, not {}",
        "须为 {0} 至 {1} 个随机字节，而不是 {2}",
    ),
    ("not JSON: {}", "不是 JSON：{0}"),
    ("expected an object", "应为对象"),
    ("member {} appears twice", "成员 {0} 出现两次"),
    ("missing member {}", "缺少成员 {0}"),
    ("unknown member {}", "未知成员 {0}"),
    ("expected an array", "应为数组"),
    ("expected a string", "应为字符串"),
    ("expected lowercase hex", "应为小写十六进制"),
    (
        "expected 64 lowercase hex digits",
        "应为 64 位小写十六进制数字",
    ),
    (
        "expected an integer from 0 to {}",
        "应为 0 至 {0} 之间的整数",
    ),
    (
        "publication becomes possible at the end of the evaluation window, {}",
        "评标时间段结束（{0}）后才能公布",
    ),
    (
        "publication becomes possible once evaluation session {} has closed (it is now in phase {})",
        "评标会议 {0} 结束后才能公布（当前阶段：{1}）",
    ),
    (
        "publish the draw the center asked for; its linked draws are part of it",
        "请公布交易中心申请的抽取；其关联抽取包含在内",
    ),
    (
        "publication of this draw's committee has not been approved",
        "此抽取的评标委员会名单尚未获准公布",
    ),
    ("the publication has already been approved", "公布已获批准"),
    (
        "the committee is not complete: every seat must be confirmed first",
        "评标委员会尚未组齐：每个席位须先确认",
    ),
    // Invitations (notify).
    ("no such invitation", "找不到该邀请"),
    (
        "the invitation has already been answered or has expired",
        "该邀请已答复或已过期",
    ),
    (
        "the reply deadline has passed; the seat goes to the next reserve",
        "答复截止时间已过；该席位由下一位候补递补",
    ),
    ("the gateway callback is not authentic", "网关回调验证失败"),
    (
        "the gateway callback is outside the accepted time window",
        "网关回调不在允许的时间范围内",
    ),
    ("gateway callbacks are not configured", "未配置网关回调"),
    (
        "must be 1 (accept) or 2 (decline)",
        "须为 1（接受）或 2（拒绝）",
    ),
    (
        "must be the eight-digit code from the message",
        "须为消息中的八位数字码",
    ),
    ("only a decline gives a reason", "只有拒绝时才填写理由"),
    ("a decline needs one of {}", "拒绝须选择以下理由之一：{0}"),
    (
        "a conflict of interest needs the declared relationship (2 to 200 characters)",
        "利害关系须说明具体关系（2 至 200 个字符）",
    ),
    (
        "only a conflict of interest declares a relationship",
        "只有利害关系才需说明关系",
    ),
    ("at most {} template parameters", "最多 {0} 个模板参数"),
    // The pool, experts' own records, unsealing (pool).
    (
        "this account is not linked to an expert record",
        "该账户未关联专家记录",
    ),
    ("that expert already has a login", "该专家已有登录账户"),
    ("no such change request", "找不到该变更申请"),
    // Training records and the annual assessment (pool::training).
    ("no such training record", "找不到该培训记录"),
    ("the training record is already void", "该培训记录已作废"),
    ("is not a record of this expert", "不是该专家的记录"),
    ("is already void", "已作废"),
    (
        "must be from 0.5 to 200, in half hours",
        "须在 0.5 至 200 之间，以半小时为单位",
    ),
    ("must be a date, YYYY-MM-DD", "须为 YYYY-MM-DD 格式的日期"),
    ("must not be in the future", "不能是将来的日期"),
    ("must be in {} or later", "须在 {0} 年或之后"),
    ("must be a year, e.g. 2026", "须为年份，例如 2026"),
    ("must be from {} to {}", "须在 {0} 至 {1} 之间"),
    ("must be from 1 to 1000", "须在 1 至 1000 之间"),
    (
        "no assessment has been computed for {}",
        "{0} 年度尚未计算考核",
    ),
    (
        "the assessment of {} is confirmed and final; a change needs a new assessment",
        "{0} 年度考核已确认，结果为最终结果；如需变更须另行考核",
    ),
    (
        "the expert is not in the assessment of {}",
        "该专家不在 {0} 年度考核之中",
    ),
    (
        "must be A or B (every tier is drawn when it is absent)",
        "须为 A 或 B（不填则不限分级）",
    ),
    (
        "a change request of this expert is already waiting for a decision",
        "该专家已有一项变更申请待审核",
    ),
    (
        "the change request has already been settled",
        "该变更申请已处理",
    ),
    (
        "name what changes: employer, ties, specialties, contact or relatives_employers",
        "请填写要变更的内容：工作单位、利害关系、专业、联系方式或亲属工作单位",
    ),
    (
        "name a new phone, e-mail address or both",
        "请填写新的手机号码、电子邮箱或两者",
    ),
    (
        "changes by a change request an admin approves (POST /api/v1/me/expert/change-requests, contact)",
        "须通过变更申请修改，由管理员审批（POST /api/v1/me/expert/change-requests，contact）",
    ),
    (
        "dropping a relative's employer lowers avoidance: ask for it by a change request (POST /api/v1/me/expert/change-requests)",
        "删除亲属工作单位会减少回避：请通过变更申请提出（POST /api/v1/me/expert/change-requests）",
    ),
    ("change request: {}", "变更申请：{0}"),
    // Applications to join the pool and recruiting calls (admission).
    (
        "{} problem(s) in the application; nothing was written",
        "申请中有 {0} 处问题；未写入任何内容",
    ),
    ("no such application", "找不到该入库申请"),
    (
        "a person with this ID number is already in the pool",
        "该身份证号码的人员已在专家库中",
    ),
    (
        "an application with this ID number is already open",
        "该身份证号码已有一份正在办理的入库申请",
    ),
    (
        "an application that is {} cannot be moved by {}",
        "处于 {0} 状态的申请不能执行 {1}",
    ),
    ("no such recruiting call", "找不到该招募公告"),
    ("the recruiting call is already closed", "该招募公告已关闭"),
    (
        "names no open recruiting call",
        "没有对应的进行中的招募公告",
    ),
    ("the call's last day has passed", "招募截止日期已过"),
    ("give 1 to 20 specialty codes", "请填写 1 至 20 个专业代码"),
    ("give 1 to 500 characters", "请填写 1 至 500 个字符"),
    ("give 10 to 500 characters", "请填写 10 至 500 个字符"),
    ("give at most {} specialties", "最多 {0} 个专业"),
    ("must be true", "必须为 true（须确认）"),
    (
        "send the application's access code in the X-Application-Code header",
        "请在 X-Application-Code 请求头中提供申请的查询码",
    ),
    ("application: {}", "入库申请：{0}"),
    (
        "an expert who is {} cannot become {}",
        "处于 {0} 状态的专家不能变为 {1}",
    ),
    (
        "an expert who is {} cannot renew",
        "处于 {0} 状态的专家不能续聘",
    ),
    (
        "the record has no term to renew; an admin sets one",
        "该专家没有聘期可续；请由管理员设定聘期",
    ),
    (
        "a renewal may be asked from {} to {}",
        "续聘申请须在 {0} 至 {1} 之间提出",
    ),
    ("no such renewal request", "找不到该续聘申请"),
    (
        "the renewal request has already been decided",
        "该续聘申请已处理",
    ),
    (
        "a renewal request of this expert is already waiting for a decision",
        "该专家已有一份待处理的续聘申请",
    ),
    (
        "import files are limited to {} bytes; split the file",
        "导入文件最大 {0} 字节，请拆分文件",
    ),
    (
        "{} problem(s) in the file; nothing was imported",
        "文件中有 {0} 处问题，未导入任何数据",
    ),
    ("must be from 1 to 100", "须在 1 至 100 之间"),
    (
        "send the file as text/csv or application/x-ndjson (JSON Lines)",
        "请以 text/csv 或 application/x-ndjson（JSON Lines）格式上传文件",
    ),
    ("the upload was interrupted", "上传中断"),
    ("the file is not UTF-8 text", "文件不是 UTF-8 文本"),
    ("the file has no rows", "文件没有数据行"),
    (
        "the file has more than {} rows; split it",
        "文件超过 {0} 行，请拆分",
    ),
    ("the same person as line {}", "与第 {0} 行是同一人"),
    ("the header row cannot be read: {}", "无法读取表头：{0}"),
    (
        "the row does not have the header's number of columns",
        "该行的列数与表头不一致",
    ),
    ("is not a JSON object", "不是 JSON 对象"),
    ("this column is missing", "缺少此列"),
    ("this column is not known", "未知的列"),
    (
        "does not match the birth date in the ID number",
        "与身份证号中的出生日期不一致",
    ),
    (
        "at least one specialty code is required",
        "至少须有一个专业代码",
    ),
    (
        "{} is not credit_code:YYYY-MM-DD:YYYY-MM-DD",
        "{0} 不是 credit_code:YYYY-MM-DD:YYYY-MM-DD 格式",
    ),
    ("{} ends before it starts", "{0} 的结束早于开始"),
    ("give at most 50 entries", "最多 50 条"),
    ("a period ends before it starts", "时间段的结束早于开始"),
    ("must be 12 to 30 digits", "须为 12 至 30 位数字"),
    (
        "give at most 50 periods, each ending on or after its first day",
        "最多 50 个时间段，每段的结束不早于开始",
    ),
    ("a suspension needs an end date", "暂停须有结束日期"),
    ("only a suspension has an end date", "只有暂停才有结束日期"),
    (
        "must be a short code such as penalty, credit_score, request, age",
        "须为简短代码，例如 penalty、credit_score、request、age",
    ),
    (
        "{} is not kind:credit_code[:from[:to]]",
        "{0} 不是 kind:credit_code[:from[:to]] 格式",
    ),
    (
        "{} is not a date YYYY-MM-DD",
        "{0} 不是 YYYY-MM-DD 格式的日期",
    ),
    ("give at most {} ties", "最多 {0} 个利害关系单位"),
    ("the tie ends before it starts", "关系的结束早于开始"),
    (
        "{} is not a kind of tie: director, supervisor, shareholder or actual_controller",
        "{0} 不是关系类型：director、supervisor、shareholder 或 actual_controller",
    ),
    (
        "name 1 to {} experts; bulk unsealing is not offered",
        "请指定 1 至 {0} 位专家；不提供批量解密",
    ),
    ("names an expert twice", "同一专家出现两次"),
    ("name one or more of {}", "请从以下选择一项或多项：{0}"),
    ("{} is not an expert", "{0} 不是专家"),
    (
        "give a reason of 10 to 500 characters",
        "请填写 10 至 500 个字符的理由",
    ),
    (
        "give a reason of {} to {} characters",
        "请填写 {0} 至 {1} 个字符的理由",
    ),
    ("no such unseal request", "找不到该解密申请"),
    (
        "only a supervisor other than the requester may decide this request",
        "只有申请人以外的监督人员才能决定此申请",
    ),
    ("the request has already been decided", "该申请已有决定"),
    (
        "only the requester may read an unsealed request",
        "只有申请人才能查看已解密的申请",
    ),
    ("the request has not been approved", "该申请未获批准"),
    ("the request's window has closed", "该申请的有效期已过"),
    (
        "must be an 11-digit mainland mobile number such as 13800138000",
        "须为 11 位中国大陆手机号，例如 13800138000",
    ),
    (
        "must be 18 characters of digits and capital letters other than I, O, Z, S, V",
        "须为 18 位数字和大写字母（不含 I、O、Z、S、V）",
    ),
    (
        "the check character does not match (GB 32100)",
        "校验码不符（GB 32100）",
    ),
    (
        "{} is not a specialty code like A, A01, A0101 or A010101",
        "{0} 不是专业代码（如 A、A01、A0101 或 A010101）",
    ),
    ("is not an email address", "不是电子邮箱地址"),
    (
        "{} is not a prefecture-level division code of Hubei (e.g. 420100 Wuhan)",
        "{0} 不是湖北省的市级行政区划代码（例如 420100 武汉）",
    ),
    (
        "{} begins none of Hubei's region codes (42 the province, 4201 Wuhan, 420600 Xiangyang, …; experts' regions are recorded at prefecture level)",
        "{0} 不是湖北省任何行政区划代码的开头（42 全省，4201 武汉，420600 襄阳……；专家地区按市登记）",
    ),
    (
        "must be 18 characters: 17 digits and a check digit or X",
        "须为 18 位：17 位数字加一位校验码（数字或 X）",
    ),
    (
        "the birth date in positions 7–14 is not a real date",
        "第 7–14 位的出生日期不是有效日期",
    ),
    (
        "the check digit does not match (GB 11643)",
        "校验码不符（GB 11643）",
    ),
    // Venues (venue).
    ("no such venue", "找不到该场地"),
    ("no such sub-venue request", "找不到该副场协作申请"),
    ("{} cannot host remote sessions", "{0} 不能承担远程评标"),
    (
        "must be from 1 to {}, the workstations of {}",
        "须在 1 至 {0} 之间（{1} 的工位数）",
    ),
    ("names a venue twice", "同一场地出现两次"),
    (
        "a holder releases or cancels its bookings; only the venue's center refuses",
        "预约方只能释放或取消预约；只有场地所属中心才能拒绝",
    ),
    ("{} ({}) refused: {}", "{0}（{1}）已拒绝：{2}"),
    ("{} ({}) refused", "{0}（{1}）已拒绝"),
    ("{} ({}) has not answered yet", "{0}（{1}）尚未答复"),
    (
        "no venue in the catalogue has this id",
        "场地目录中没有此编号的场地",
    ),
    (
        "{} is {}'s venue: the main venue is one of your own, and another center's venue can only be a sub-venue, with that center's consent",
        "{0} 是 {1} 的场地：主场须是本中心的场地，其他中心的场地只能经其同意作为副场",
    ),
    (
        "venue {} has {} workstations and {} of them are held from {}; {} more do not fit",
        "场地 {0} 有 {1} 个工位，其中 {2} 个在 {3} 已被占用；再加 {4} 个容纳不下",
    ),
    (
        "venue {} is closed for maintenance and takes no bookings",
        "场地 {0} 正在维护，不接受预约",
    ),
    (
        "the request has already been answered ({})",
        "该申请已答复（{0}）",
    ),
    (
        "must be 2 to 6 digits of a region code (42, 4206, 420626)",
        "须为 2 至 6 位行政区划代码（42、4206、420626）",
    ),
    ("must be after free_from", "须晚于 free_from"),
    ("give it with free_from", "须与 free_from 一起填写"),
    ("give it with free_until", "须与 free_until 一起填写"),
    (
        "name the trading center (its username) that owns the venue",
        "请填写场地所属的交易中心（其用户名）",
    ),
    (
        "a trading center registers its own venues only",
        "交易中心只能登记本中心的场地",
    ),
    (
        "only admins and trading centers register venues",
        "只有管理员和交易中心能登记场地",
    ),
    (
        "the center already has a venue of this name",
        "该中心已有同名场地",
    ),
    (
        "bookings hold {} workstations from {}; cancel them before going below",
        "预约在 {1} 占用了 {0} 个工位；请先取消预约再减少工位",
    ),
    (
        "only the venue's center, {}, answers this request",
        "只有场地所属中心 {0} 才能答复此申请",
    ),
    (
        "{} is {}'s venue; a center changes its own venues only",
        "{0} 是 {1} 的场地；交易中心只能修改本中心的场地",
    ),
    (
        "only admins and trading centers change venues",
        "只有管理员和交易中心能修改场地",
    ),
    // The evaluation archive (archive::service, http::archives).
    ("no such session or draw", "找不到该评标会议或抽取"),
    ("no such archive package", "找不到该归档包"),
    (
        "the committee's names are read by supervisors, once the list is published",
        "评标委员会名单仅由监督人员在公示后查阅",
    ),
    (
        "an on-site evaluation's package has no report to name",
        "现场评标的归档包没有可署名的评标报告",
    ),
    (
        "the session is not closed; its archive is made once it closes",
        "评标会议尚未结束；结束后才生成其归档包",
    ),
    (
        "the draw was evaluated in session {}; its archive is the session's",
        "该抽取已在评标会议 {0} 中评标；请使用该评标会议的归档包",
    ),
    (
        "the draw has no result yet; its archive is made once it is drawn",
        "该抽取尚无结果；抽取完成后才生成其归档包",
    ),
    (
        "the session's closing entry is not under a signed checkpoint yet; retry shortly",
        "评标会议的结束记录尚未被已签名的检查点覆盖；请稍后重试",
    ),
    (
        "the package was deleted after its retention period",
        "该归档包已在保存期满后删除",
    ),
    (
        "the package is kept until {} (archive.retention_years); nothing was deleted",
        "该归档包须保存至 {0}（archive.retention_years），未删除任何内容",
    ),
    (
        "the package would not verify, so nothing was kept: {}; the CA's revocation list contradicts a signature accepted earlier, which an admin must take up with the CA",
        "归档包无法通过核验，未保存任何内容：{0}；证书认证机构的吊销列表与此前已接受的签名相矛盾，须由管理员与该机构核实",
    ),
    (
        "the archive's readable report cannot be rendered on this server (archive.font, or the renderer); nothing was kept",
        "本服务器无法生成归档包的可读报告（archive.font 或渲染程序），未保存任何内容",
    ),
    (
        "the CA {} of a member's certificate is no longer trusted (signing_keys.trusted_cas), so its CRL cannot go into the package; nothing was kept",
        "成员证书的签发机构 {0} 已不再受信任（signing_keys.trusted_cas），其证书吊销列表无法放入归档包，未保存任何内容",
    ),
    (
        "the CRL file of {} cannot be read or holds no CRL; nothing was kept",
        "{0} 的证书吊销列表文件无法读取或不含吊销列表，未保存任何内容",
    ),
    (
        "the root of {} cannot be read; nothing was kept",
        "{0} 的根证书无法读取，未保存任何内容",
    ),
    // Evaluation sessions (session).
    ("no such session", "找不到该评标会议"),
    ("the session is closed", "评标会议已结束"),
    ("the session is in {}: {}", "评标会议当前处于{0}阶段：{1}"),
    (
        "the move to {} is not possible yet: {}",
        "还不能进入{0}阶段：{1}",
    ),
    (
        "a closed session stays closed",
        "已结束的评标会议不能再变更",
    ),
    ("its next phase is {}, not {}", "下一阶段是{0}，不是{1}"),
    ("the join code is wrong", "入会码不正确"),
    (
        "this account already has {} session connections open on this server; close one (another tab or device) first",
        "该账户在本服务器已有 {0} 个评标会议连接；请先关闭一个（其他标签页或设备）",
    ),
    (
        "name the draw the center asked for; its linked draws are part of it",
        "请指定交易中心申请的抽取；其关联抽取包含在内",
    ),
    ("the draw already has a session", "该抽取已有评标会议"),
    (
        "the draw's evaluation window has no length",
        "该抽取的评标时间段长度为零",
    ),
    (
        "the draw is for an on-site evaluation; sessions coordinate remote (cross_site or distributed) evaluations",
        "该抽取为现场评标；评标会议只用于远程（跨地区或分散）评标",
    ),
    (
        "the draw's strata are bound to venues: the session's venues are the draw's (it holds their workstations already); omit venues",
        "抽取的分组已指定场地：评标会议的场地即抽取的场地（已占用其工位）；请不要填写 venues",
    ),
    (
        "the draw's strata are bound to venues: each expert sits at their stratum's venue and nothing is placed at random",
        "抽取的分组已指定场地：每位专家在其分组的场地评标，不随机安排",
    ),
    (
        "the draw's strata are all bound to one venue: a cross-site session has a main venue and at least one sub-venue",
        "抽取的分组都指定为同一场地：跨地区评标须有一个主场和至少一个副场",
    ),
    (
        "a distributed session has no venues to assign",
        "分散评标没有可安排的场地",
    ),
    (
        "a cross-site session assigns seats: random or in_order",
        "跨地区评标须安排席位：random 或 in_order",
    ),
    (
        "a distributed session has no venues: every expert is at their own seat",
        "分散评标没有场地：每位专家在各自席位评标",
    ),
    (
        "a cross-site session has a main venue and 1 to {} sub-venues",
        "跨地区评标有一个主场和 1 至 {0} 个副场",
    ),
    ("venue names must differ", "场地名称不能相同"),
    (
        "a catalogue venue is operated by its center, {}; omit operator",
        "目录中的场地由其所属中心 {0} 运营；请不要填写 operator",
    ),
    (
        "a sub-venue names the trading center that operates it",
        "副场须填写运营它的交易中心",
    ),
    (
        "no active trading-center account has this username",
        "没有使用此用户名的启用中的交易中心账户",
    ),
    (
        "the main venue is operated by the host (the draw's center)",
        "主场由主办方（抽取的交易中心）运营",
    ),
    (
        "each sub-venue is operated by a different center than the host's",
        "每个副场须由主办方以外的交易中心运营",
    ),
    (
        "the venues seat {}; the committee has {} members",
        "场地共 {0} 个席位；评标委员会有 {1} 人",
    ),
    (
        "name the {} tenderer's representatives the draw's request planned (committee.representatives); {} named",
        "请填写抽取申请所计划的 {0} 名招标人代表（committee.representatives）；现填写 {1} 名",
    ),
    (
        "the tenderer's {} representatives sit at the main venue: it needs at least {} seats",
        "{0} 名招标人代表在主场就座：主场至少需要 {1} 个席位",
    ),
    ("at most {} representatives", "最多 {0} 名招标人代表"),
    (
        "only the host names the tenderer's representatives",
        "只有主办方可以填写招标人代表",
    ),
    (
        "the committee has its {} tenderer's representatives: a successor is named only in place of one whose seat is void",
        "评标委员会已有 {0} 名招标人代表：只有在某位代表的席位作废后才能补充填写",
    ),
    (
        "must equal the strata's counts together ({})",
        "须等于各组抽取人数之和（{0}）",
    ),
    (
        "the venues seat fewer than the committee",
        "场地席位少于评标委员会人数",
    ),
    (
        "only the host and the session's supervisors contribute",
        "只有主办方和评标会议的监督人员能贡献随机数",
    ),
    (
        "the session's seats are not assigned at random",
        "评标会议的席位不是随机安排的",
    ),
    (
        "contributions close when check-in opens",
        "签到开始后不再接受随机数贡献",
    ),
    (
        "this account has already contributed",
        "该账户已经贡献过随机数",
    ),
    (
        "a bound stratum's venue is not in the catalogue",
        "分组指定的场地不在场地目录中",
    ),
    ("name 1 to {} bidders", "请填写 1 至 {0} 个投标人"),
    ("bidders must differ", "投标人不能重复"),
    ("name 1 to {} criteria", "请填写 1 至 {0} 项评分标准"),
    ("must not contain '.'", "不能包含“.”"),
    ("criteria must differ", "评分标准不能重复"),
    ("attach 1 to {} supervisors", "请指定 1 至 {0} 名监督人员"),
    (
        "no active supervisor account has this username",
        "没有使用此用户名的启用中的监督人员账户",
    ),
    ("named twice", "重复指定"),
    (
        "this supervisor's jurisdiction does not cover the draw's region and industry",
        "该监督人员的监管范围不包括此抽取的地区和行业",
    ),
    (
        "request id {} was already used for a different request; use a new id",
        "请求编号 {0} 已用于另一个请求；请使用新编号",
    ),
    (
        "before check-in, vacate a seat through the draw",
        "签到前请通过抽取空出席位",
    ),
    (
        "a session's {} cannot {}",
        "评标会议的{0}不能进行此操作（{1}）",
    ),
    (
        "{} has been replaced; its conclusions are void",
        "{0} 已被替换，其评审结论作废",
    ),
    (
        "{} was replaced; the successor evaluates afresh",
        "{0} 已被替换；接替者重新评审",
    ),
    (
        "the report is made when the session reaches signing",
        "评标报告在进入签署阶段时生成",
    ),
    (
        "the random seat assignment needs at least one contribution (host or supervisor) before it is revealed",
        "随机席位安排公布前至少需要一份随机数贡献（主办方或监督人员）",
    ),
    ("the sub-venue {}", "副场 {0}"),
    (
        "a replacement has not yet accepted the seat",
        "替补专家尚未接受席位",
    ),
    (
        "{} of {} seats are held by confirmed members; vacated seats wait for their replacements",
        "{1} 个席位中有 {0} 个由已确认的成员就座；空出的席位等待替补",
    ),
    ("every seat must be checked in", "每个席位都须签到"),
    (
        "every member must declare that they have no conflict of interest",
        "每位成员都须声明与投标人无利害关系",
    ),
    (
        "no member has a majority of the committee's votes ({} of {} cast)",
        "没有成员获得评标委员会过半数票（已投 {0} 票，共 {1} 票）",
    ),
    (
        "every member must submit a score sheet for every bidder",
        "每位成员都须为每个投标人提交评分表",
    ),
    (
        "the committee has not yet decided rejection proposal {}",
        "评标委员会尚未对否决投标提议 {0} 作出决定",
    ),
    (
        "every member must sign the report or dissent with written reasons (until the signing deadline; then whoever has done neither is deemed to agree)",
        "每位成员都须签署报告或书面说明不同意见及理由（签署截止后，两者都未做的视为同意）",
    ),
    (
        "a committee has at least {} members; this one has {}",
        "评标委员会至少 {0} 人；本委员会 {1} 人",
    ),
    (
        "a committee has an odd number of members; this one has {}",
        "评标委员会人数须为单数；本委员会 {0} 人",
    ),
    (
        "experts must be at least two thirds of the committee; {} of {} are",
        "专家须占评标委员会成员总数的三分之二以上；{1} 人中专家 {0} 人",
    ),
    (
        "not a bidder of this session (one of: {})",
        "不是本次评标的投标人（可选：{0}）",
    ),
    ("not a bidder of this session", "不是本次评标的投标人"),
    ("every criterion must be scored", "每项评分标准都须打分"),
    (
        "must be a number with at most two decimals",
        "须为最多两位小数的数字",
    ),
    ("not a criterion of this session", "不是本次评标的评分标准"),
    (
        "only a lowest-evaluated-price session states evaluated prices",
        "只有经评审的最低投标价法评标才填写评标价",
    ),
    (
        "a lowest-evaluated-price session needs the bid's evaluated price",
        "经评审的最低投标价法评标须填写评标价",
    ),
    ("must be above 0 and at most {}", "须大于 0 且不超过 {0}"),
    ("must be from 1 to 5", "须在 1 至 5 之间"),
    ("the ticket has expired", "入场凭证已过期"),
    ("the ticket is not valid", "入场凭证无效"),
    ("the ticket has already been used", "入场凭证已被使用"),
    (
        "the seat has been vacated; a replaced member does not rejoin",
        "该席位已空出；被替换的成员不能重新加入",
    ),
    (
        "accept the invitation before joining the session",
        "请先接受邀请再加入评标会议",
    ),
    ("check-in has not opened yet", "签到尚未开始"),
    (
        "the seat's invitation is not accepted",
        "该席位的邀请尚未接受",
    ),
    (
        "an accepted remote seat has no join code",
        "已接受的远程席位没有入会码",
    ),
    ("declarations open after check-in", "签到后才能声明"),
    ("check in first", "请先签到"),
    ("this seat has already declared", "该席位已经声明过"),
    (
        "votes are cast in the chair election",
        "投票在推选组长阶段进行",
    ),
    ("a chair has been elected", "组长已选出"),
    (
        "declare (no conflict of interest) before voting",
        "请先声明（无利害关系）再投票",
    ),
    (
        "vote for an active member of the committee",
        "请投票给评标委员会的在任成员",
    ),
    (
        "{} is a tenderer's representative, who may not chair the committee here (session.representative_may_chair); vote for a drawn expert",
        "{0}是招标人代表，本系统配置下不能担任评标委员会主任委员（session.representative_may_chair）；请投票给抽取的专家",
    ),
    (
        "score sheets are submitted during the evaluation",
        "评分表在评审阶段提交",
    ),
    (
        "declare (no conflict of interest) before scoring",
        "请先声明（无利害关系）再评分",
    ),
    (
        "the committee has rejected {}'s bid; it is out of the scoring",
        "评标委员会已否决 {0} 的投标，不再评分",
    ),
    (
        "clarifications are asked during the evaluation",
        "澄清在评审阶段提出",
    ),
    (
        "clarifications are decided during the evaluation",
        "澄清在评审阶段决定",
    ),
    ("no such clarification request", "找不到该澄清请求"),
    (
        "clarification {} has already been decided ({})",
        "澄清 {0} 已有决定（{1}）",
    ),
    (
        "the time is declared insufficient during the evaluation",
        "评审时间不够的声明在评审阶段提出",
    ),
    (
        "this seat has already declared the time insufficient; it counts until the next extension",
        "该席位已声明评审时间不够；在下次延长前有效",
    ),
    (
        "the report is signed in the signing phase",
        "评标报告在签署阶段签署",
    ),
    (
        "is not the report's digest ({}); sign the report you were sent",
        "不是评标报告的摘要（{0}）；请签署发给您的报告",
    ),
    ("this seat has already signed", "该席位已经签署"),
    (
        "a forwarded client certificate is accepted only from a configured gateway",
        "只接受已配置的国密网关转发的客户端证书",
    ),
    (
        "X-Forwarded-Client-Cert must hold one percent-encoded PEM certificate",
        "X-Forwarded-Client-Cert 须为一个百分号编码的 PEM 证书",
    ),
    ("only a dissent gives reasons", "只有不同意见才填写理由"),
    ("a dissent needs written reasons", "不同意见须有书面理由"),
    // Members' signing keys (auth::signing_keys, session signatures).
    (
        "this server requires each member to sign their decision with an enrolled signing key (session.require_member_signatures)",
        "本系统要求每位成员以已登记的签名密钥对其意见签名（session.require_member_signatures）",
    ),
    (
        "is not a signing key enrolled for your account",
        "不是为您的账户登记的签名密钥",
    ),
    (
        "is waiting for an admin's approval and cannot sign yet",
        "正在等待管理员批准，暂不能签名",
    ),
    ("has been revoked and cannot sign", "已被吊销，不能签名"),
    (
        "must be base64 of a 64-byte signature, r and s (ECDSA P-256 as WebCrypto produces it, or SM2)",
        "须为 64 字节签名（r 与 s：WebCrypto 生成的 ECDSA P-256 签名，或 SM2 签名）的 base64 编码",
    ),
    (
        "does not verify with this key over the session, seat, report digest and decision (docs/PROTOCOL.md, sign)",
        "用此密钥对会话、席位、报告摘要和意见验证签名未通过（见 docs/PROTOCOL.md 的 sign）",
    ),
    (
        "is neither a PEM public key nor base64 of a DER SubjectPublicKeyInfo",
        "既不是 PEM 格式的公钥，也不是 DER 格式 SubjectPublicKeyInfo 的 base64 编码",
    ),
    (
        "is not an ECDSA P-256 public key (a SubjectPublicKeyInfo of a point on P-256)",
        "不是 ECDSA P-256 公钥（须为 P-256 曲线上一点的 SubjectPublicKeyInfo）",
    ),
    (
        "is neither an ECDSA P-256 nor an SM2 public key (a SubjectPublicKeyInfo of a point on either curve)",
        "既不是 ECDSA P-256 公钥也不是 SM2 公钥（须为其中一条曲线上一点的 SubjectPublicKeyInfo）",
    ),
    (
        "is an SM2 key, which only a deployment of the national suite (gm2024) accepts; this server runs {}",
        "是 SM2 密钥，仅采用国密套件（gm2024）的部署接受此类密钥；本系统采用 {0}",
    ),
    // Members' certificates from outside CAs (auth::member_certificates,
    // crypto::member_certificate).
    (
        "a certificate key is enrolled with its certificate chain (PEM), and no public_key",
        "证书类密钥须以其证书链（PEM）登记，不另附 public_key",
    ),
    (
        "a webcrypto, key_file or pkcs11 key is enrolled with its public key, and no certificate_chain",
        "webcrypto、key_file 或 pkcs11 密钥须以其公钥登记，不附 certificate_chain",
    ),
    (
        "is not a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, the member's certificate first)",
        "不是 PEM 格式的证书链（若干 -----BEGIN CERTIFICATE----- 块，成员本人的证书在前）",
    ),
    ("holds more than {} certificates", "包含的证书超过 {0} 张"),
    (
        "holds a certificate that is not well-formed X.509",
        "包含格式不正确的 X.509 证书",
    ),
    (
        "the certificate's key is neither an ECDSA P-256 nor an SM2 key",
        "证书中的密钥既不是 ECDSA P-256 密钥也不是 SM2 密钥",
    ),
    (
        "no CA is trusted for members' certificates on this server (signing_keys.trusted_cas)",
        "本系统未配置可信任的成员证书 CA（signing_keys.trusted_cas）",
    ),
    (
        "is not issued by a CA this server trusts (signing_keys.trusted_cas)",
        "不是由本系统信任的 CA 签发（signing_keys.trusted_cas）",
    ),
    ("the certificate has expired", "证书已过期"),
    ("the certificate is not valid yet", "证书尚未生效"),
    (
        "the certificate's key usage allows neither digitalSignature nor nonRepudiation (an encryption certificate cannot sign)",
        "证书的密钥用法既不含 digitalSignature 也不含 nonRepudiation（加密证书不能用于签名）",
    ),
    (
        "the certificate has been revoked: the CRL of {} lists it",
        "证书已被吊销：{0} 的证书吊销列表（CRL）中列有此证书",
    ),
    (
        "the CRL of {} is out of date (past its nextUpdate); an admin must install a current one before its certificates can be checked",
        "{0} 的证书吊销列表（CRL）已过期（超过其 nextUpdate）；须由管理员安装最新的 CRL 后才能核验该 CA 的证书",
    ),
    (
        "the CRL file of {} cannot be read, or holds no CRL this CA signed; an admin must replace it",
        "{0} 的证书吊销列表（CRL）文件无法读取，或其中没有该 CA 签发的 CRL；须由管理员更换",
    ),
    (
        "no CRL of {} covers a certificate of this chain; an admin must add its issuer's CRL",
        "{0} 的证书吊销列表（CRL）未覆盖此证书链中的某张证书；须由管理员添加其签发者的 CRL",
    ),
    (
        "does not verify up to {}: a signature, a validity period or a constraint in the chain fails",
        "无法验证至 {0}：证书链中的签名、有效期或约束未通过",
    ),
    ("no such signing key", "没有这个签名密钥"),
    ("this key is already enrolled", "该密钥已登记"),
    (
        "the signing key is {}, not pending",
        "该签名密钥的状态为 {0}，并非待批准",
    ),
    ("the signing key is already revoked", "该签名密钥已被吊销"),
    (
        "only committee members (expert accounts) enrol signing keys",
        "只有评标委员会成员（专家账户）可以登记签名密钥",
    ),
    (
        "the host and the session's supervisors rate members",
        "由主办方和评标会议的监督人员评价成员",
    ),
    (
        "members are rated after the session closes",
        "评标会议结束后才能评价成员",
    ),
    ("no member served in this seat", "没有成员在此席位任职"),
    (
        "a tenderer's representative is not rated: ratings feed a pool expert's credit score, and a representative has no pool record",
        "招标人代表不参与评价：评价计入专家库中专家的信用分，而招标人代表没有专家库记录",
    ),
    ("you have already rated this seat", "您已评价过此席位"),
    ("no such rejection proposal", "找不到该否决投标提议"),
    (
        "must be one of the grounds of 实施条例 §51: {}",
        "须为实施条例第五十一条规定的情形之一：{0}",
    ),
    (
        "proposal {} has already been decided ({})",
        "提议 {0} 已有决定（{1}）",
    ),
    (
        "{} has already voted on proposal {}",
        "{0} 已对提议 {1} 投票",
    ),
    (
        "bids are rejected during the evaluation",
        "否决投标在评审阶段进行",
    ),
    (
        "declare (no conflict of interest) before deciding on bids",
        "请先声明（无利害关系）再对投标作出决定",
    ),
    (
        "must be at least {} characters: a rejection needs written reasons",
        "至少 {0} 个字符：否决投标须有书面理由",
    ),
    (
        "the committee has already rejected {}'s bid",
        "评标委员会已否决 {0} 的投标",
    ),
    (
        "proposal {} to reject {}'s bid is still open; vote on it",
        "否决 {1} 投标的提议 {0} 尚未决定；请投票",
    ),
    // Ratings and appeals (conduct), the staff directory, the websocket's language.
    ("no such rating", "找不到该评价"),
    ("no such appeal", "找不到该申诉"),
    ("no such interruption request", "找不到该暂停或终止申请"),
    // Supervision's signals, alerts and cases (analytics::alerts); bidders' credit codes.
    (
        "give one code per bidder, in the order of bidders ({} bidders, {} codes)",
        "请按投标人顺序为每个投标人填写一个统一社会信用代码（{0} 个投标人，{1} 个代码）",
    ),
    (
        "two bidders cannot share a credit code",
        "两个投标人不能使用同一个统一社会信用代码",
    ),
    (
        "must be above 0 and at most 0.1 (a tenth of the alerts false alarms at worst)",
        "须大于 0 且不超过 0.1（最坏情况下十分之一的预警为误报）",
    ),
    ("must be at least 0.000001", "不得小于 0.000001"),
    ("no such active alert rule", "没有这个生效中的预警规则"),
    ("no such alert", "没有这个预警"),
    ("no such case", "没有这个案件"),
    ("a case is already open on this alert", "该预警已经立案"),
    ("the case is closed", "该案件已结案"),
    ("the case is closed already", "该案件已经结案"),
    (
        "this case has filed its unseal request already; see its decision",
        "该案件已提出解封申请，请查看审批结果",
    ),
    (
        "this alert is about a trading center, not about experts: there is nothing to unseal",
        "该预警针对交易中心而非专家，没有可解封的信息",
    ),
    (
        "an expert of this alert is registered outside your jurisdiction; a supervisor whose jurisdiction covers them must file the request",
        "该预警涉及的专家登记在您的管辖范围之外，须由管辖该专家的监督人员提出申请",
    ),
    (
        "the case changed meanwhile; reload it",
        "案件已被他人更改，请刷新后重试",
    ),
    (
        "an expert's phone number is in their pool record",
        "专家的手机号码登记在其专家库记录中",
    ),
    (
        "the draw is void: it has no evaluation to suspend, postpone or cancel",
        "该抽取已作废：没有可以暂停、推迟或终止的评标",
    ),
    (
        "the evaluation is suspended: nothing of its draw or session moves until a supervisor resumes it",
        "评标已暂停：在监督人员批准恢复之前，抽取和评标会议均不能继续",
    ),
    (
        "the evaluation is cancelled: its draw and session are closed",
        "评标已终止：抽取和评标会议均已关闭",
    ),
    (
        "the evaluation has closed: there is nothing left to suspend or cancel",
        "评标已结束：没有可以暂停或终止的事项",
    ),
    (
        "a request about this draw is already waiting for a supervisor",
        "本次抽取已有一项申请在等待监督人员处理",
    ),
    (
        "only an approved cancellation can release the tender for re-tendering",
        "只有经批准的终止才能允许项目重新招标",
    ),
    ("this request has already been decided", "该申请已经处理"),
    (
        "only a postponement names a new start",
        "只有推迟评标的申请才填写新的开始时间",
    ),
    (
        "a postponement names the new start",
        "推迟评标须填写新的开始时间",
    ),
    (
        "must be an RFC 3339 time, e.g. 2026-12-10T09:00:00+08:00",
        "须为 RFC 3339 时间，例如 2026-12-10T09:00:00+08:00",
    ),
    (
        "a postponement moves the start later than {}",
        "推迟后的开始时间须晚于 {0}",
    ),
    (
        "the new start must be at least {} minutes away (no earlier than {})",
        "新的开始时间须在 {0} 分钟之后（不早于 {1}）",
    ),
    (
        "the postponement names no new start",
        "该推迟申请没有新的开始时间",
    ),
    (
        "the evaluation session has begun: it can be suspended, not postponed",
        "评标会议已经开始：只能暂停，不能推迟",
    ),
    (
        "the evaluation is cancelled: that is final",
        "评标已终止，不能再变更",
    ),
    ("the evaluation is already suspended", "评标已处于暂停状态"),
    ("the evaluation is not suspended", "评标未处于暂停状态"),
    ("this rating has already been appealed", "该评价已经申诉过"),
    ("the appeal has already been decided", "该申诉已有决定"),
    // Credit file and credit repair (conduct::credit_file).
    (
        "no such item on your credit file",
        "您的信用档案中没有该事项",
    ),
    ("no such credit repair request", "找不到该信用修复申请"),
    (
        "must be a rating's entry id from your credit file (rating:…); only ratings can be repaired",
        "须为您信用档案中一项评价的编号（rating:…）；只有评价可以申请信用修复",
    ),
    (
        "only a rating below {} points can be repaired",
        "只有低于 {0} 分的评价可以申请信用修复",
    ),
    (
        "the rating was withdrawn on appeal and no longer counts",
        "该评价已因申诉撤销，不再计入信用分",
    ),
    (
        "the item has already been repaired",
        "该事项已经完成信用修复",
    ),
    (
        "this item can be repaired from {}",
        "该事项自 {0} 起可以申请信用修复",
    ),
    (
        "an appeal of this rating is waiting for a decision; ask for repair after it",
        "该评价的申诉尚待决定；请在决定后再申请信用修复",
    ),
    (
        "a repair of this item is already waiting for a decision",
        "该事项已有一项信用修复申请等待决定",
    ),
    (
        "the repair request has already been decided",
        "该信用修复申请已有决定",
    ),
    (
        "nobody decides their own repair request",
        "任何人不得决定自己的信用修复申请",
    ),
    (
        "you decided an earlier repair request for this item; another supervisor decides this one",
        "您已决定过该事项此前的信用修复申请；本次申请须由另一位监督人员决定",
    ),
    (
        "this draw's evaluation ran as a session: rate its members in the session",
        "该项目以评标会议方式评标：请在评标会议中评价成员",
    ),
    (
        "an on-site evaluation is rated after its window ends, {}",
        "现场评标在评标时间段结束（{0}）后才能评价",
    ),
    (
        "no confirmed member of this draw holds this seat",
        "该席位不属于本次抽取的已确认成员",
    ),
    (
        "must be a seat's token: 64 hex digits",
        "须为席位标识：64 位十六进制数字",
    ),
    (
        "rate the draw the center asked for; its linked draws' members are among its seats",
        "请评价交易中心申请的抽取；其关联抽取的成员包含在其席位中",
    ),
    (
        "must be upheld or granted",
        "须为 upheld（维持）或 granted（撤销）",
    ),
    (
        "must be one of center, supervisor, admin",
        "须为 center、supervisor 或 admin 之一",
    ),
    (
        "only supervisors are listed by a draw's jurisdiction: add role=supervisor",
        "只有监督人员按抽取的监管范围列出：请加上 role=supervisor",
    ),
    (
        "only supervisor and admin accounts have a display name (a center's is its center_name)",
        "只有监督人员和管理员账户有显示名称（交易中心的名称是 center_name）",
    ),
    ("must be zh or en", "须为 zh 或 en"),
    // Experts' fees and their settlements (fees).
    (
        "fees are settled once the session has closed",
        "评审费须在会议结束后结算",
    ),
    (
        "this session's fees are already settled; change a record by adding travel or a correction to it",
        "本次会议的评审费已结算；如需变更，请对记录添加差旅费用或更正",
    ),
    (
        "exceeds the standard's cap of {} fen",
        "超过标准上限 {0} 分",
    ),
    (
        "exceeds the standard's cap of {} fen for {} nights",
        "超过标准规定的 {1} 晚上限 {0} 分",
    ),
    (
        "this record has been superseded; change the current one",
        "该记录已被取代；请变更现行记录",
    ),
    (
        "an approved record is corrected only with the reason for the correction",
        "已审核的记录只能附更正理由进行更正",
    ),
    (
        "no record of this session awaits approval (settle the session first)",
        "本次会议没有待审核的记录（请先结算）",
    ),
    (
        "no approved record to export: approve the session's settlements first",
        "没有可导出的已审核记录：请先审核本次会议的结算",
    ),
    (
        "the record was changed meanwhile; reload and try again",
        "记录已被他人变更；请刷新后重试",
    ),
    ("no such settlement", "没有这条结算记录"),
    // The session protocol over the websocket (session::connection, session::protocol).
    ("frames are limited to {} bytes", "每帧最多 {0} 字节"),
    ("websocket protocol error: {}", "WebSocket 协议错误：{0}"),
    ("more than {} frames per second", "每秒超过 {0} 帧"),
    (
        "the protocol uses JSON text frames only",
        "协议只使用 JSON 文本帧",
    ),
    ("send each request in one frame", "每个请求请用一帧发送"),
    (
        "the server cannot follow the session now; reconnect",
        "服务器暂时无法跟随评标会议；请重新连接",
    ),
    (
        "the session cannot be read now; reconnect",
        "暂时无法读取评标会议；请重新连接",
    ),
    (
        "the server stopped following the session; reconnect",
        "服务器已停止跟随评标会议；请重新连接",
    ),
    ("nothing heard for {} s", "{0} 秒内没有收到任何消息"),
    (
        "the session's events cannot be read now; reconnect",
        "暂时无法读取评标会议事件；请重新连接",
    ),
    (
        "your seat was vacated; a replaced member's conclusions are void",
        "您的席位已空出；被替换成员的评审结论作废",
    ),
    (
        "the connection took no frame for {} s; reconnect and resume from your last event",
        "连接 {0} 秒未收到帧；请重新连接并从最后一个事件继续",
    ),
    ("must be a JSON object", "须为 JSON 对象"),
    (
        "this server speaks protocol version {}",
        "本服务器使用协议版本 {0}",
    ),
    ("missing (the protocol version, 1)", "缺少（协议版本，1）"),
    (
        "must be 1 to {} characters of A-Z a-z 0-9 - _ . :",
        "须为 1 至 {0} 个 A-Z a-z 0-9 - _ . : 字符",
    ),
    (
        "missing (a request id of the client's choosing)",
        "缺少（由客户端选定的请求编号）",
    ),
    (
        "must be a string naming the request",
        "须为表示请求类型的字符串",
    ),
    ("missing (the request's type)", "缺少（请求类型）"),
];

/// Words the server puts inside its sentences (phases, roles, seats): translated where a value
/// is exactly one of them.
pub(super) const WORDS: &[(&str, &str)] = &[
    ("scheduled", "已安排"),
    ("check_in", "签到"),
    ("recusal", "回避声明"),
    ("chair_election", "推选组长"),
    ("evaluation", "评审"),
    ("summary", "汇总"),
    ("signing", "签署"),
    ("closed", "已结束"),
    ("expert", "专家"),
    ("host", "主办方"),
    ("supervisor", "监督人员"),
    ("operator", "副场运营方"),
    ("accepted", "已接受"),
    ("refused", "已拒绝"),
    ("rejected", "已否决"),
    ("granted", "已同意"),
    ("username", "用户名"),
    ("name", "名称"),
    ("tender reference", "项目编号"),
    ("a string", "字符串"),
    ("a boolean", "布尔值"),
    ("a sequence", "数组"),
    ("a map", "对象"),
    ("an integer", "整数"),
];
