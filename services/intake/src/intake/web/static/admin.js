/* The administration screens: confirm before removing, format phone numbers as typed, check that the two
   passwords match before the form is sent. No inline scripts: the page's CSP forbids them. */
"use strict";
(function () {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });
  document.querySelectorAll("input[data-phone]").forEach((input) => {
    input.addEventListener("input", () => { input.value = window.Desk.formatPhone(input.value); });
  });
  document.querySelectorAll('input[name="password2"]').forEach((second) => {
    const first = second.form.querySelector('input[name="password"]');
    const check = () => second.setCustomValidity(second.value && second.value !== first.value ? "두 비밀번호가 다릅니다." : "");
    second.addEventListener("input", check);
    first.addEventListener("input", check);
  });
  const focus = document.getElementById("admin-error") || document.getElementById("notice");
  if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
})();
