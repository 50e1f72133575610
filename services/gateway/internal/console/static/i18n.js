// Chinese first, English on request. Keys are grouped by page; t() falls back
// to the Chinese text, then to the key, so a missing translation is visible
// but never breaks a page.
const dict = {
  zh: {
    'app.name': '吹哨报到',
    'nav.street/inbox': '收件箱',
    'nav.street/hotspots': '未诉先办', 'nav.supervisor/hotspots': '未诉先办', 'nav.admin/hotspots': '未诉先办',
    'nav.supervisor/search': '查询台账', 'nav.street/search': '查询台账', 'nav.desk/search': '查询台账',
    'nav.supervisor/drills': '演练',
    'nav.street': '街道', 'nav.desk': '值班台', 'nav.supervisor': '督查', 'nav.admin': '管理',
    'lang.other': 'English', 'signout': '退出',
    'live.stream': '实时', 'live.poll': '轮询刷新', 'live.off': '离线',
    'live.lost': '实时连接已断开，正在重连…', 'live.back': '已重新连接',
    'alert.enable': '开启提醒', 'alert.enableHint': '新派单、催办、督办和临近到场时限的派单会响铃并弹出系统通知。',
    'alert.denied': '浏览器通知已关闭：提醒显示在本页顶部，并会响铃。', 'alert.dismiss': '知道了',
    'alert.new': '新派单', 'alert.warning': '时限预警', 'alert.remind': '催办', 'alert.supervise': '督办', 'alert.list': '挂牌督办',
    'alert.dueSoon': '距到场时限不足 5 分钟', 'alert.offline': '离线：显示的是上次的待办队列',
    'signin.title': '登录', 'signin.dev': '演示身份（开发登录）',
    'signin.devoff': '开发登录未开启。请粘贴单点登录（OIDC）签发的令牌。',
    'signin.token': '访问令牌', 'signin.tokenGo': '使用令牌登录',
    'signin.streetPick': '街道', 'signin.deskDept': '部门', 'signin.district': '区',
    'signin.asStreet': '以街道身份进入', 'signin.asDesk': '以值班台身份进入',
    'signin.asSupervisor': '以督查身份进入', 'signin.asAdmin': '以管理员身份进入',
    'signin.grid': '网格编号', 'signin.asGrid': '以网格员身份进入', 'nav.grid': '网格',
    'signin.cityWide': '全市',
    'signin.sso': '统一身份认证登录', 'signin.ssoHint': '使用本单位的统一身份认证账号登录。',
    'role.d.lead': '牵头', 'role.d.cooperating': '配合', 'role.d.fallback': '兜底',
    'role.street': '街道工委', 'role.desk': '部门值班台', 'role.supervisor': '督查', 'role.admin': '管理员',
    'street.raise': '吹哨', 'street.mine': '我的哨单',
    'f.category': '类别', 'f.title': '标题（可选）', 'f.description': '问题描述', 'f.urgency': '紧急程度',
    'f.address': '地址（可选）', 'f.lat': '纬度', 'f.lng': '经度', 'f.location': '位置',
    'map.synthetic': '示意边界（未导入真实边界）',
    'map.syntheticStreets': '虚线为示意边界：{n} 个街道尚未导入真实边界',
    'map.layers': '图层', 'map.district': '区界', 'map.street': '街道', 'map.community': '社区', 'map.whistles': '哨单',
    'map.unrouted': '待派单', 'map.breach': '有派单已超时',
    'f.mapHint': '点击地图选择位置，或直接输入经纬度。', 'f.centre': '使用街道中心',
    'loc.inside': '✓ 位置在本街道内', 'loc.near_boundary': '位置靠近街道边界（邻近：{s}）', 'loc.outside': '位置不在本街道内（属于：{s}）',
    'loc.no_street': '位置不在任何街道内',
    'f.submit': '吹哨', 'f.submitting': '提交中…', 'raised': '已吹哨：{id}',
    'urgency.NORMAL': '一般', 'urgency.HIGH': '紧急', 'urgency.CRITICAL': '特急',
    'w.RAISED': '已吹哨', 'w.ROUTED': '已派单', 'w.RESPONDING': '处置中', 'w.RESOLVED': '已办结',
    'w.CLOSED': '已关闭', 'w.UNROUTABLE': '待人工派单', 'w.CANCELLED': '已撤销', 'w.REOPENED': '已重启',
    'd.PENDING': '待签收', 'd.ACKNOWLEDGED': '已签收', 'd.ARRIVED': '已到场', 'd.RESOLVED': '已办结',
    'd.RETURNED': '已退单', 'd.CANCELLED': '已取消', 'd.drill': '演练',
    'clock.ack': '签收', 'clock.arrive': '到场', 'clock.resolve': '办结',
    'left': '剩 {t}', 'over': '超时 {t}', 'due': '{clock}时限',
    'none': '暂无', 'noWhistles': '还没有哨单。', 'noDispatches': '队列为空。',
    'rate': '评价', 'rate.score': '满意度（1–5）', 'rate.comment': '意见（可选）', 'rate.submit': '提交评价',
    'reopen': '未解决，重启', 'reopen.reason': '重启原因', 'cancel': '撤销哨单', 'cancel.reason': '撤销原因',
    'rated': '已评价：{n} 分',
    'timeline': '时间线', 'close': '关闭',
    'desk.queue': '待办队列', 'desk.ack': '签收', 'desk.arrive': '到场', 'desk.resolve': '办结', 'desk.return': '退单',
    'desk.summary': '办结说明', 'desk.reason': '退单说明', 'desk.returnCode': '退单原因',
    'desk.returnDept': '应由哪个部门（部门代码，需其他部门时填写）',
    'return.NOT_OUR_REMIT': '不属本部门职责', 'return.WRONG_LOCATION': '地点有误', 'return.DUPLICATE': '重复工单',
    'return.NEEDS_ANOTHER_DEPARTMENT': '需其他部门处理', 'desk.confirm': '确认', 'desk.cancel': '取消',
    'desk.locating': '正在定位…', 'desk.confirmArrive': '确认到场',
    'desk.located': '已定位（精度约 {acc} 米）', 'desk.noPosition': '无法获取定位：仍可到场，将记为“到场未定位”。',
    'desk.near': '到场位置距哨点 {m} 米', 'desk.far': '到场位置距离哨点较远（{m} 米）', 'desk.accuracy': '（定位精度 ±{acc} 米）',
    'desk.unlocated': '到场未定位（未记录位置）',
    'desk.photo.arrival': '现场照片（可选）', 'desk.photo.resolution': '处置后照片（可选）', 'desk.photoSaved': '照片已上传 · SHA-256 {h}…',
    'ev.raise': '吹哨照片', 'ev.arrival': '现场照片', 'ev.resolution': '处置后照片',
    'desk.counts': '待签收 {p} · 已签收 {a} · 已到场 {r} · 超时 {b}',
    'desk.extend': '延期', 'desk.extClock': '延期的时限', 'desk.extUntil': '延至', 'desk.extReason': '延期理由',
    'desk.extAsked': '延期申请已提交，等待督查审批',
    'desk.onDuty': '值班人员', 'desk.nobodyOnDuty': '当前无人值班',
    'eta.arrive': '预计到场', 'eta.resolve': '预计办结', 'eta.p80': '八成在 {at} 前',
    'eta.ETA_BASIS_DESK': '值班台预计', 'eta.ETA_BASIS_HISTORY_HOUR': '历史中位数·同时段',
    'eta.ETA_BASIS_HISTORY_ANY_HOUR': '历史中位数', 'eta.ETA_BASIS_SLA': '时限',
    'desk.eta': '预计到场时间', 'desk.eta.note': '说明（选填）', 'desk.eta.set': '报预计到场',
    'community': '社区', 'community.none': '未定位到社区',
    'desk.details': '详情', 'street': '街道', 'category': '类别', 'department': '部门', 'status': '状态',
    'sup.board': '风险看板', 'sup.open': '在办派单', 'sup.atRisk': '临近超时', 'sup.breached': '已超时',
    'sup.map': '辖区地图 · 在办哨单', 'sup.ranking': '部门排名（按时到场率）', 'sup.trend': '近 7 天吹哨量',
    'sup.noRisk': '没有临近超时或已超时的派单。', 'sup.openWhistles': '在办哨单', 'sup.whistles': '在办哨单 {n}',
    'sup.onTime': '按时到场率', 'sup.dispatched': '派单', 'sup.breaches': '超时',
    'sc.title': '月度三率记分卡', 'sc.month': '月份', 'sc.group': '统计对象', 'sc.csv': '导出 SLA 报表', 'sc.print': '打印成绩单', 'sc.pdf': '成绩单 PDF', 'form.order': '派单单', 'form.notice': '督办通知书', 'sc.response': '响应率',
    'sc.resolution': '解决率', 'sc.satisfaction': '满意率', 'sc.composite': '综合得分', 'sc.arrivalCheck': '远距/未定位到场',
    'sup.arbitrations': '审定队列', 'sup.showAll': '显示全部在办派单', 'sup.handle': '处置', 'sup.escalation': '督办级别', 'sup.extensions': '延期申请',
    'sup.escReason': '催办/督办理由', 'sup.escalate': '升级督办',
    'esc.0': '无', 'esc.1': '催办', 'esc.2': '督办', 'esc.3': '挂牌督办',
    'st.ON_TIME': '正常', 'st.WARNING': '预警', 'st.BREACHED': '超时', 'st.MET': '按时完成', 'st.MET_LATE': '超时完成', 'st.STOPPED': '已停止',
    'ext.PENDING': '待审批', 'ext.APPROVED': '已批准', 'ext.REJECTED': '已驳回', 'ext.approve': '批准', 'ext.reject': '驳回',
    'ext.queue': '延期审批', 'ext.clock': '时限', 'ext.from': '原时限', 'ext.until': '延至', 'ext.reason': '理由', 'ext.asked': '申请时间',
    'arb.return': '退单争议', 'arb.location': '位置不在辖区', 'arb.decide': '审定', 'arb.department': '责任部门',
    'arb.reset': '重新计算到场时限', 'arb.resetReason': '重新计时理由', 'arb.note': '备注',
    'sup.export': '导出 CSV', 'sup.deadline': '时限',
    'grants.title': '人员授权', 'grants.hint': '为统一身份认证中的人员授予角色和范围；撤销后数秒内在所有网关生效。身份提供方：',
    'grants.person': '人员', 'grants.role': '角色', 'grants.scope': '范围', 'grants.by': '授权人 / 时间', 'grants.revoke': '撤销',
    'grants.revoked': '已撤销', 'grants.grant': '授予角色', 'grants.subject': '身份标识（sub）', 'grants.name': '姓名',
    'grants.grid': '网格', 'grants.granted': '已授权', 'grants.revokedNow': '已撤销授权',
    'channels.title': '通知渠道', 'channels.hint': '派单、催办、督办时通知到人：短信和邮件发给排班表上正在值班的人，群机器人发到部门群；“督查值班”收到本区各部门的督办。来自配置（WHISTLE_CHANNELS）的渠道每次启动时按配置恢复。',
    'channels.desk': '部门', 'channels.supervisors': '督查值班（督办）', 'channels.kindH': '渠道', 'channels.target': '发往', 'channels.sourceH': '来源',
    'channels.state': '状态', 'channels.actions': '操作', 'channels.onDuty': '值班人员（按排班表）', 'channels.signed': '加签',
    'channels.on': '启用', 'channels.off': '已停用', 'channels.enable': '启用', 'channels.disable': '停用', 'channels.delete': '删除',
    'channels.add': '添加渠道', 'channels.robotUrl': '机器人 Webhook 地址（含 key / access_token）', 'channels.secret': '钉钉加签密钥（SEC…，可选）',
    'channels.writeOnly': '地址和密钥只写不读：保存后不再显示，列表只显示主机和路径。', 'channels.added': '已添加渠道', 'channels.saved': '已保存',
    'channels.source.env': '配置', 'channels.source.api': '控制台',
    'channels.kind.aliyun-sms': '阿里云短信', 'channels.kind.tencent-sms': '腾讯云短信', 'channels.kind.email': '电子邮件',
    'channels.kind.wecom': '企业微信群机器人', 'channels.kind.dingtalk': '钉钉群机器人',
    'role.grid': '网格员',
    'admin.title': '基础数据', 'admin.categories': '类别', 'admin.departments': '部门', 'admin.districts': '区', 'admin.streets': '街道',
    'admin.code': '代码', 'admin.nameZh': '中文名称', 'admin.nameEn': '英文名称', 'admin.saveDept': '保存部门', 'admin.renameStreet': '修改街道名称', 'admin.edit': '编辑', 'admin.codeHint': '小写字母、数字和连字符，如 housing；保存后不可更改',
    'admin.lead': '牵头部门', 'admin.coop': '配合部门', 'admin.sla': '时限（签收/到场/办结）',
    'admin.catalogue': '派单目录（现行）', 'admin.draft': '目录草稿', 'admin.draftDesc': '草稿说明', 'admin.draftRules': '规则（JSON）',
    'admin.saveDraft': '保存草稿', 'admin.publish': '发布草稿', 'admin.published': '已发布', 'admin.diff': '与现行版本的差异', 'admin.noDiff': '草稿与现行版本相同。',
    'admin.change.added': '新增', 'admin.change.removed': '删除', 'admin.change.changed': '修改',
    'admin.policies': '时限策略', 'admin.calendar': '工作日历', 'admin.workdays': '个工作日',
    'admin.day.HOLIDAY': '休息日', 'admin.day.WORKDAY': '调休上班',
    'admin.setPolicy': '设置时限策略', 'admin.ackMin': '签收时限（分钟）', 'admin.arriveMin': '到场时限（分钟）', 'admin.resolveH': '办结时限（小时）',
    'admin.resolveWD': '办结时限（工作日，0 表示按小时）', 'admin.save': '保存', 'admin.setDay': '设置日历', 'admin.date': '日期', 'admin.kind': '类型',
    'admin.dayName': '名称（如 国庆节）', 'admin.delete': '删除', 'admin.deleteDay': '删除日历日',
    'admin.pm': '物业公司', 'admin.pmSave': '保存物业公司', 'admin.pmCodeHint': '小写字母、数字和连字符，如 pm-dongcheng-yuanyang；不能与部门代码相同',
    'admin.pmCommunities': '服务的社区（12 位社区代码）', 'admin.pmCommunitiesHint': '多个代码以空格、逗号或换行分隔；已服务的社区保留',
    'err': '出错了：{m}', 'saved': '已保存', 'loading': '加载中…',
  },
  en: {
    'app.name': 'Whistle',
    'nav.street/inbox': 'Inbox',
    'nav.street/hotspots': 'Hotspots', 'nav.supervisor/hotspots': 'Hotspots', 'nav.admin/hotspots': 'Hotspots',
    'nav.supervisor/search': 'Search', 'nav.street/search': 'Search', 'nav.desk/search': 'Search',
    'nav.supervisor/drills': 'Drills',
    'nav.street': 'Street', 'nav.desk': 'Duty desk', 'nav.supervisor': 'Supervisor', 'nav.admin': 'Admin',
    'lang.other': '中文', 'signout': 'Sign out',
    'live.stream': 'Live', 'live.poll': 'Polling', 'live.off': 'Offline',
    'live.lost': 'Live connection lost, reconnecting…', 'live.back': 'Reconnected',
    'alert.enable': 'Turn on alerts', 'alert.enableHint': 'New dispatches, reminders, supervision and dispatches near their arrival deadline ring and show a notification.',
    'alert.denied': 'Browser notifications are off: alerts show at the top of this page, with a sound.', 'alert.dismiss': 'Got it',
    'alert.new': 'New dispatch', 'alert.warning': 'Deadline warning', 'alert.remind': 'Reminder (催办)', 'alert.supervise': 'Supervision (督办)', 'alert.list': 'Listed supervision (挂牌督办)',
    'alert.dueSoon': 'Under 5 minutes to the arrival deadline', 'alert.offline': 'Offline: this is the last queue seen',
    'signin.title': 'Sign in', 'signin.dev': 'Demo identities (dev sign-in)',
    'signin.devoff': 'Dev sign-in is off. Paste a token issued by your OIDC provider.',
    'signin.token': 'Access token', 'signin.tokenGo': 'Sign in with token',
    'signin.streetPick': 'Street', 'signin.deskDept': 'Department', 'signin.district': 'District',
    'signin.asStreet': 'Enter as street committee', 'signin.asDesk': 'Enter as duty desk',
    'signin.asSupervisor': 'Enter as supervisor', 'signin.asAdmin': 'Enter as admin',
    'signin.grid': 'Micro-grid', 'signin.asGrid': 'Enter as grid worker', 'nav.grid': 'Grid',
    'signin.cityWide': 'Whole city',
    'signin.sso': 'Sign in with single sign-on', 'signin.ssoHint': "Sign in with your organisation's account.",
    'role.d.lead': 'lead', 'role.d.cooperating': 'cooperating', 'role.d.fallback': 'fallback',
    'role.street': 'Street committee', 'role.desk': 'Duty desk', 'role.supervisor': 'Supervisor', 'role.admin': 'Admin',
    'street.raise': 'Raise a whistle', 'street.mine': 'My whistles',
    'f.category': 'Category', 'f.title': 'Title (optional)', 'f.description': 'Description', 'f.urgency': 'Urgency',
    'f.address': 'Address (optional)', 'f.lat': 'Latitude', 'f.lng': 'Longitude', 'f.location': 'Location',
    'map.synthetic': 'synthetic boundary (no real one imported)',
    'map.syntheticStreets': 'Dashed outlines are synthetic: {n} streets have no real boundary imported yet',
    'map.layers': 'Layers', 'map.district': 'District', 'map.street': 'Streets', 'map.community': 'Communities', 'map.whistles': 'Whistles',
    'map.unrouted': 'Not dispatched', 'map.breach': 'A dispatch is past its deadline',
    'f.mapHint': 'Click the map to pick the spot, or type the coordinates.', 'f.centre': 'Use street centre',
    'loc.inside': '✓ The spot is in this street', 'loc.near_boundary': 'The spot is near the street boundary (next to: {s})',
    'loc.outside': 'The spot is outside this street (in: {s})', 'loc.no_street': 'The spot is outside every street',
    'f.submit': 'Raise', 'f.submitting': 'Raising…', 'raised': 'Raised: {id}',
    'urgency.NORMAL': 'Normal', 'urgency.HIGH': 'High', 'urgency.CRITICAL': 'Critical',
    'w.RAISED': 'Raised', 'w.ROUTED': 'Routed', 'w.RESPONDING': 'Responding', 'w.RESOLVED': 'Resolved',
    'w.CLOSED': 'Closed', 'w.UNROUTABLE': 'Unroutable', 'w.CANCELLED': 'Cancelled', 'w.REOPENED': 'Reopened',
    'd.PENDING': 'Pending', 'd.ACKNOWLEDGED': 'Acknowledged', 'd.ARRIVED': 'On site', 'd.RESOLVED': 'Resolved',
    'd.RETURNED': 'Returned', 'd.CANCELLED': 'Cancelled', 'd.drill': 'Drill',
    'clock.ack': 'Acknowledge', 'clock.arrive': 'Arrive', 'clock.resolve': 'Resolve',
    'left': '{t} left', 'over': '{t} over', 'due': '{clock} by',
    'none': 'None', 'noWhistles': 'No whistles yet.', 'noDispatches': 'The queue is empty.',
    'rate': 'Rate', 'rate.score': 'Satisfaction (1–5)', 'rate.comment': 'Comment (optional)', 'rate.submit': 'Submit rating',
    'reopen': 'Not fixed: reopen', 'reopen.reason': 'Why reopen', 'cancel': 'Cancel whistle', 'cancel.reason': 'Why cancel',
    'rated': 'Rated {n}/5',
    'timeline': 'Timeline', 'close': 'Close',
    'desk.queue': 'Queue', 'desk.ack': 'Acknowledge', 'desk.arrive': 'Arrived', 'desk.resolve': 'Resolve', 'desk.return': 'Return',
    'desk.summary': 'Resolution summary', 'desk.reason': 'Details', 'desk.returnCode': 'Reason for returning',
    'desk.returnDept': 'Which department should take it (code, with “needs another department”)',
    'return.NOT_OUR_REMIT': 'Not our remit', 'return.WRONG_LOCATION': 'Wrong location', 'return.DUPLICATE': 'Duplicate',
    'return.NEEDS_ANOTHER_DEPARTMENT': 'Needs another department', 'desk.confirm': 'Confirm', 'desk.cancel': 'Cancel',
    'desk.locating': 'Locating…', 'desk.confirmArrive': 'Confirm arrival',
    'desk.located': 'Located (accuracy about {acc} m)', 'desk.noPosition': 'No position from the device: you can still arrive; it is marked “arrived without position”.',
    'desk.near': 'Checked in {m} m from the whistle', 'desk.far': 'Checked in far from the whistle ({m} m)', 'desk.accuracy': ' (accuracy ±{acc} m)',
    'desk.unlocated': 'Arrived without position',
    'desk.photo.arrival': 'Photo on site (optional)', 'desk.photo.resolution': 'Photo after the work (optional)', 'desk.photoSaved': 'Photo uploaded · SHA-256 {h}…',
    'ev.raise': 'Photo at raise', 'ev.arrival': 'Photo on site', 'ev.resolution': 'Photo after the work',
    'desk.counts': 'Pending {p} · Acknowledged {a} · On site {r} · Breached {b}',
    'desk.extend': 'Extension', 'desk.extClock': 'Deadline to extend', 'desk.extUntil': 'Until', 'desk.extReason': 'Why',
    'desk.extAsked': 'Extension requested; a supervisor decides',
    'desk.onDuty': 'On duty', 'desk.nobodyOnDuty': 'Nobody on the roster now',
    'eta.arrive': 'Expected on site', 'eta.resolve': 'Expected done', 'eta.p80': '4 in 5 by {at}',
    'eta.ETA_BASIS_DESK': 'desk\'s estimate', 'eta.ETA_BASIS_HISTORY_HOUR': 'past median, same hour',
    'eta.ETA_BASIS_HISTORY_ANY_HOUR': 'past median', 'eta.ETA_BASIS_SLA': 'deadline',
    'desk.eta': 'Expected arrival', 'desk.eta.note': 'Note (optional)', 'desk.eta.set': 'State ETA',
    'community': 'Community', 'community.none': 'No community found',
    'desk.details': 'Details', 'street': 'Street', 'category': 'Category', 'department': 'Department', 'status': 'Status',
    'sup.board': 'Risk board', 'sup.open': 'Open dispatches', 'sup.atRisk': 'At risk', 'sup.breached': 'Breached',
    'sup.map': 'District map · open whistles', 'sup.ranking': 'Departments (on-time arrival)', 'sup.trend': 'Whistles, last 7 days',
    'sup.noRisk': 'No dispatch is at risk or breached.', 'sup.openWhistles': 'Open whistles', 'sup.whistles': '{n} open whistles',
    'sup.onTime': 'On-time arrival', 'sup.dispatched': 'Dispatched', 'sup.breaches': 'Breaches',
    'sc.title': 'Monthly scorecard', 'sc.month': 'Month', 'sc.group': 'Per', 'sc.csv': 'Export SLA report', 'sc.print': 'Printable scorecard', 'sc.pdf': 'Scorecard (PDF)', 'form.order': 'Dispatch order', 'form.notice': 'Supervision notice', 'sc.response': 'Response',
    'sc.resolution': 'Resolution', 'sc.satisfaction': 'Satisfaction', 'sc.composite': 'Composite', 'sc.arrivalCheck': 'Far / unlocated arrivals',
    'sup.arbitrations': 'Arbitration queue', 'sup.showAll': 'Show every open dispatch', 'sup.handle': 'Handle', 'sup.escalation': 'Escalation', 'sup.extensions': 'Extension requests',
    'sup.escReason': 'Why escalate', 'sup.escalate': 'Escalate',
    'esc.0': 'None', 'esc.1': 'Remind', 'esc.2': 'Supervise', 'esc.3': 'Listed',
    'st.ON_TIME': 'On time', 'st.WARNING': 'Warning', 'st.BREACHED': 'Breached', 'st.MET': 'Met', 'st.MET_LATE': 'Met late', 'st.STOPPED': 'Stopped',
    'ext.PENDING': 'Pending', 'ext.APPROVED': 'Approved', 'ext.REJECTED': 'Rejected', 'ext.approve': 'Approve', 'ext.reject': 'Reject',
    'ext.queue': 'Extensions awaiting decision', 'ext.clock': 'Clock', 'ext.from': 'Deadline', 'ext.until': 'Until', 'ext.reason': 'Reason', 'ext.asked': 'Asked',
    'arb.return': 'Disputed return', 'arb.location': 'Outside every street', 'arb.decide': 'Decide', 'arb.department': 'Owning department',
    'arb.reset': 'Restart the arrival clock', 'arb.resetReason': 'Why restart', 'arb.note': 'Note',
    'sup.export': 'Export CSV', 'sup.deadline': 'Deadline',
    'grants.title': 'People and roles', 'grants.hint': 'Grant roles and scopes to people of the identity provider; a revocation takes effect on every gateway within seconds. Provider:',
    'grants.person': 'Person', 'grants.role': 'Role', 'grants.scope': 'Scope', 'grants.by': 'Granted by / at', 'grants.revoke': 'Revoke',
    'grants.revoked': 'Revoked', 'grants.grant': 'Grant a role', 'grants.subject': 'Subject (sub)', 'grants.name': 'Name',
    'grants.grid': 'Grid', 'grants.granted': 'Granted', 'grants.revokedNow': 'Grant revoked',
    'channels.title': 'Notification channels', 'channels.hint': 'Who is called on a new dispatch, 催办 and 督办: SMS and e-mail go to whoever is on duty by the roster, group robots to the department\'s group; the district\'s supervisors receive every department\'s escalations. Channels of the configuration (WHISTLE_CHANNELS) are restored at each start.',
    'channels.desk': 'Desk', 'channels.supervisors': 'Supervisors (督办)', 'channels.kindH': 'Channel', 'channels.target': 'Goes to', 'channels.sourceH': 'Source',
    'channels.state': 'State', 'channels.actions': 'Actions', 'channels.onDuty': 'People on duty (roster)', 'channels.signed': 'signed',
    'channels.on': 'On', 'channels.off': 'Off', 'channels.enable': 'Enable', 'channels.disable': 'Disable', 'channels.delete': 'Delete',
    'channels.add': 'Add a channel', 'channels.robotUrl': 'Robot webhook URL (with its key / access_token)', 'channels.secret': 'DingTalk signing secret (SEC…, optional)',
    'channels.writeOnly': 'The URL and secret are write-only: never shown again; the list shows host and path only.', 'channels.added': 'Channel added', 'channels.saved': 'Saved',
    'channels.source.env': 'configuration', 'channels.source.api': 'console',
    'channels.kind.aliyun-sms': 'Alibaba Cloud SMS', 'channels.kind.tencent-sms': 'Tencent Cloud SMS', 'channels.kind.email': 'E-mail',
    'channels.kind.wecom': 'WeCom group robot', 'channels.kind.dingtalk': 'DingTalk group robot',
    'role.grid': 'Grid worker',
    'admin.title': 'Reference data', 'admin.categories': 'Categories', 'admin.departments': 'Departments', 'admin.districts': 'Districts', 'admin.streets': 'Streets',
    'admin.code': 'Code', 'admin.nameZh': 'Chinese name', 'admin.nameEn': 'English name', 'admin.saveDept': 'Save department', 'admin.renameStreet': 'Rename street', 'admin.edit': 'Edit', 'admin.codeHint': 'lower-case letters, digits and hyphens, e.g. housing; permanent once saved',
    'admin.lead': 'Lead', 'admin.coop': 'Cooperating', 'admin.sla': 'SLA (ack/arrive/resolve)',
    'admin.catalogue': 'Routing catalogue (in force)', 'admin.draft': 'Catalogue draft', 'admin.draftDesc': 'Draft description', 'admin.draftRules': 'Rules (JSON)',
    'admin.saveDraft': 'Save draft', 'admin.publish': 'Publish draft', 'admin.published': 'Published', 'admin.diff': 'Changes from the version in force', 'admin.noDiff': 'The draft equals the version in force.',
    'admin.change.added': 'Added', 'admin.change.removed': 'Removed', 'admin.change.changed': 'Changed',
    'admin.policies': 'SLA policies', 'admin.calendar': 'Working-day calendar', 'admin.workdays': 'working days',
    'admin.day.HOLIDAY': 'Holiday', 'admin.day.WORKDAY': 'Make-up workday',
    'admin.setPolicy': 'Set an SLA policy', 'admin.ackMin': 'Acknowledge within (minutes)', 'admin.arriveMin': 'Arrive within (minutes)', 'admin.resolveH': 'Resolve within (hours)',
    'admin.resolveWD': 'Resolve within (working days; 0 = hours)', 'admin.save': 'Save', 'admin.setDay': 'Set a calendar day', 'admin.date': 'Date', 'admin.kind': 'Kind',
    'admin.dayName': 'Name (e.g. National Day)', 'admin.delete': 'Delete', 'admin.deleteDay': 'Delete calendar day',
    'admin.pm': 'Property companies', 'admin.pmSave': 'Save property company', 'admin.pmCodeHint': 'lower-case letters, digits and hyphens, e.g. pm-dongcheng-yuanyang; not a department code',
    'admin.pmCommunities': 'Communities served (12-digit codes)', 'admin.pmCommunitiesHint': 'separate codes by spaces, commas or new lines; communities already served stay',
    'err': 'Something went wrong: {m}', 'saved': 'Saved', 'loading': 'Loading…',
  },
};

let lang = localStorage.getItem('whistle.lang') === 'en' ? 'en' : 'zh';

/** The current language, "zh" or "en". */
export function getLang() { return lang; }

/** Switches the language and remembers it. */
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('whistle.lang', lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

/** Translates key, filling {name} placeholders from vars. */
export function t(key, vars = {}) {
  const s = dict[lang][key] ?? dict.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
}

/**
 * The labels of one page kept beside it ({zh: {...}, en: {...}}, nested keys
 * by dots): w(key, vars) in the current language, and both(key, vars) for a
 * heading or action, Chinese with the English alongside (English alone in English).
 */
export function pageWords(words) {
  const fill = (d, key, vars = {}) => String(key.split('.').reduce((o, k) => o?.[k], d) ?? key)
    .replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  const w = (key, vars) => fill(words[lang === 'en' ? 'en' : 'zh'], key, vars);
  const both = (key, vars) => (lang === 'en' ? w(key, vars) : `${w(key, vars)} / ${fill(words.en, key, vars)}`);
  return { w, both };
}

/** Picks the name of a reference object (department, category, street) in the current language. */
export function nameOf(obj, fallback = '') {
  if (!obj) return fallback;
  return (lang === 'en' ? obj.name_en || obj.name : obj.name || obj.name_en) || fallback;
}

/** A category description is stored as "中文 / English"; show the current language's half. */
export function describe(text = '') {
  const [zh, en] = text.split(' / ');
  return lang === 'en' ? (en || zh) : zh;
}

/** Formats a duration in milliseconds as "1 h 05 min" / "1小时05分" (seconds under ten minutes). */
export function duration(ms) {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const pad = (n) => String(n).padStart(2, '0');
  if (lang === 'en') {
    if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
    if (h > 0) return `${h} h ${pad(m)} min`;
    return m >= 10 ? `${m} min` : `${m}:${pad(sec)}`;
  }
  if (h >= 24) return `${Math.floor(h / 24)}天${h % 24}小时`;
  if (h > 0) return `${h}小时${pad(m)}分`;
  return m >= 10 ? `${m}分` : `${m}分${pad(sec)}秒`;
}

/**
 * Formats a timestamp for people in Beijing time, as Intl would ("11/27 10:05",
 * "27/11, 10:05") but by hand: a queue formats hundreds, and Beijing keeps UTC+8
 * all year.
 */
export function when(ts) {
  const ms = Date.parse(ts || '');
  if (!Number.isFinite(ms)) return '';
  const s = new Date(ms + 8 * 3600e3).toISOString();
  const mm = s.slice(5, 7), dd = s.slice(8, 10), hm = s.slice(11, 16);
  return lang === 'en' ? `${dd}/${mm}, ${hm}` : `${mm}/${dd} ${hm}`;
}
