/* The task page (task/show.html). */
// Progressive enhancement: add and remove rows of repeating groups without a round trip, and
// bring the error summary into view. Without JavaScript the buttons submit and the server does it.
document.addEventListener("click", function (event) {
  var add = event.target.closest("[data-add]");
  var remove = event.target.closest("[data-remove]");
  if (add) {
    var group = add.closest("[data-group]");
    var template = document.getElementById(group.id + "-template");
    var index = Number(group.dataset.next);
    group.dataset.next = index + 1;
    var html = template.innerHTML.split("__i__").join(String(index));
    var rows = group.querySelector(".group-rows");
    rows.insertAdjacentHTML("beforeend", html);
    var empty = group.querySelector(".group-empty");
    if (empty) empty.remove();
    renumber(group);
    var first = rows.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
    event.preventDefault();
  } else if (remove) {
    var row = remove.closest(".group-row");
    var owner = row.closest("[data-group]");
    row.remove();
    renumber(owner);
    event.preventDefault();
  }
});
function renumber(group) {
  var title = group.querySelector("legend").firstChild.textContent.trim();
  group.querySelectorAll(".group-rows .row-number").forEach(function (label, i) {
    label.textContent = title + " 第 " + (i + 1) + " 项";
  });
}
var summary = document.getElementById("error-summary");
if (summary) summary.focus();
